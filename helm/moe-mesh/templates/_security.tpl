{{/*
Authentication and TLS of the services (docs/security.md). Secrets are mounted as directories, not
with subPath: the kubelet updates such a mount when the Secret changes, and the services re-read
the files, so rotating keys, tokens and certificates needs no rollout.
*/}}

{{- define "moe-mesh.tlsDir" -}}/etc/moemesh/tls{{- end }}
{{- define "moe-mesh.tokenFile" -}}/etc/moemesh/internal-token/token{{- end }}
{{- define "moe-mesh.apiKeysFile" -}}/etc/moemesh/api-keys/api-keys{{- end }}

{{/* The Secret with a component's mTLS certificate. Args: root, role. */}}
{{- define "moe-mesh.mtlsSecret" -}}
{{- $given := index .root.Values.security.mtls.secrets .role }}
{{- default (printf "%s-tls" (include "moe-mesh.componentName" (dict "root" .root "role" .role))) $given }}
{{- end }}

{{/* The Secret holding a component's own certificate (tls.crt, tls.key), or nothing. Args: root, role. */}}
{{- define "moe-mesh.identitySecret" -}}
{{- $sec := .root.Values.security }}
{{- if and (eq .role "gateway") .root.Values.gateway.tls.secretName }}
{{- .root.Values.gateway.tls.secretName }}
{{- else if $sec.mtls.enabled }}
{{- include "moe-mesh.mtlsSecret" . }}
{{- end }}
{{- end }}

{{/* "true" when the component's gRPC servers speak TLS (kubelet gRPC probes cannot). Args: root, role. */}}
{{- define "moe-mesh.tlsOn" -}}
{{- if include "moe-mesh.identitySecret" . }}true{{ end }}
{{- end }}

{{/* The DNS name routers and experts accept on their mutating RPCs (the controller's certificate). */}}
{{- define "moe-mesh.controllerIdentity" -}}
{{- default (include "moe-mesh.componentName" (dict "root" . "role" "controller")) .Values.security.mtls.controllerIdentity }}
{{- end }}

{{/* Internal services start without token or mTLS only when told to. Arg: root. */}}
{{- define "moe-mesh.internalUnauthenticated" -}}
{{- $sec := .Values.security }}
{{- if and $sec.allowUnauthenticated (not $sec.internalToken.existingSecret) (not $sec.mtls.enabled) }}true{{ end }}
{{- end }}

{{/* Service arguments for authentication, TLS and transport limits. Args: root, role. */}}
{{- define "moe-mesh.securityArgs" -}}
{{- $root := .root }}
{{- $sec := $root.Values.security }}
{{- $internal := ne .role "gateway" }}
{{- if include "moe-mesh.identitySecret" . }}
- --moemesh.tls.cert-file={{ include "moe-mesh.tlsDir" . }}/tls.crt
- --moemesh.tls.key-file={{ include "moe-mesh.tlsDir" . }}/tls.key
{{- end }}
{{- if $sec.mtls.enabled }}
- --moemesh.tls.ca-file={{ include "moe-mesh.tlsDir" . }}/ca.crt
{{- if $internal }}
- --moemesh.tls.client-auth=require
{{- end }}
{{- if or (eq .role "router") (eq .role "expert") }}
- --moemesh.auth.mutating-peers={{ include "moe-mesh.controllerIdentity" $root }}
{{- end }}
{{- end }}
{{- if $sec.internalToken.existingSecret }}
- --moemesh.auth.internal-token-file={{ include "moe-mesh.tokenFile" . }}
{{- end }}
{{- if and $internal (include "moe-mesh.internalUnauthenticated" $root) }}
- --moemesh.auth.allow-unauthenticated=true
{{- end }}
{{- range $key, $value := $root.Values.transport }}
- --moemesh.transport.{{ kebabcase $key }}={{ $value }}
{{- end }}
{{- end }}

{{/* Secret volumes of a component (a list, possibly empty). Args: root, role. */}}
{{- define "moe-mesh.securityVolumes" -}}
{{- $sec := .root.Values.security }}
{{- with include "moe-mesh.identitySecret" . }}
- name: tls
  secret:
    secretName: {{ . }}
    # 0440: the service's group (fsGroup) reads it, nobody writes it
    defaultMode: 288
{{- end }}
{{- with $sec.internalToken.existingSecret }}
- name: internal-token
  secret:
    secretName: {{ . }}
    defaultMode: 288
    items:
      - key: {{ $sec.internalToken.key }}
        path: token
{{- end }}
{{- if and (eq .role "gateway") .root.Values.gateway.apiKeys.existingSecret }}
- name: api-keys
  secret:
    secretName: {{ .root.Values.gateway.apiKeys.existingSecret }}
    defaultMode: 288
    items:
      - key: {{ .root.Values.gateway.apiKeys.key }}
        path: api-keys
{{- end }}
{{- end }}

{{/* Mounts of moe-mesh.securityVolumes. Args: root, role. */}}
{{- define "moe-mesh.securityVolumeMounts" -}}
{{- if include "moe-mesh.identitySecret" . }}
- name: tls
  mountPath: {{ include "moe-mesh.tlsDir" . }}
  readOnly: true
{{- end }}
{{- if .root.Values.security.internalToken.existingSecret }}
- name: internal-token
  mountPath: {{ dir (include "moe-mesh.tokenFile" .) }}
  readOnly: true
{{- end }}
{{- if and (eq .role "gateway") .root.Values.gateway.apiKeys.existingSecret }}
- name: api-keys
  mountPath: {{ dir (include "moe-mesh.apiKeysFile" .) }}
  readOnly: true
{{- end }}
{{- end }}

{{/*
Probes. Kubelet's gRPC probes speak plaintext only, so a component whose gRPC servers speak TLS
is probed on its actuator's /actuator/health instead (its web must be on; moe-mesh.validateSecurity).
Args: root, role, grpcPort, web.
*/}}
{{- define "moe-mesh.probes" -}}
{{- if include "moe-mesh.tlsOn" . }}
{{- $get := dict "httpGet" (dict "path" "/actuator/health" "port" "http") }}
startupProbe:
  {{- toYaml $get | nindent 2 }}
  periodSeconds: 5
  timeoutSeconds: 3
  failureThreshold: 60
readinessProbe:
  {{- toYaml $get | nindent 2 }}
  periodSeconds: 5
  timeoutSeconds: 3
  failureThreshold: 2
livenessProbe:
  {{- toYaml $get | nindent 2 }}
  periodSeconds: 10
  timeoutSeconds: 5
  failureThreshold: 3
{{- else }}
{{- include "moe-mesh.grpcProbes" .grpcPort }}
{{- end }}
{{- end }}

{{/* Refuses values the services would refuse to run with, or that would deploy something broken. */}}
{{- define "moe-mesh.validateSecurity" -}}
{{- $sec := .Values.security }}
{{- if and (not .Values.gateway.apiKeys.existingSecret) (not $sec.allowUnauthenticated) }}
{{- fail "gateway.apiKeys.existingSecret is empty: the gateway refuses to serve without API keys. Create a Secret with one key (at least 32 characters) per line, e.g. `kubectl create secret generic moe-api-keys --from-literal=api-keys=$(openssl rand -hex 32)`, and set gateway.apiKeys.existingSecret=moe-api-keys (or security.allowUnauthenticated=true on a test cluster)" }}
{{- end }}
{{- if and (not $sec.internalToken.existingSecret) (not $sec.mtls.enabled) (not $sec.allowUnauthenticated) }}
{{- fail "neither security.internalToken.existingSecret nor security.mtls.enabled is set: the router, experts and placement controller refuse to start without internal authentication. Create a token Secret, e.g. `kubectl create secret generic moe-internal-token --from-literal=token=$(openssl rand -hex 32)`, and set security.internalToken.existingSecret=moe-internal-token; or set security.mtls.enabled=true (or security.allowUnauthenticated=true on a test cluster)" }}
{{- end }}
{{- if and .Values.gateway.tls.certManager.issuerRef (not .Values.gateway.tls.secretName) }}
{{- fail "gateway.tls.certManager.issuerRef is set but gateway.tls.secretName is empty: name the Secret the Certificate should write (and the gateway read)" }}
{{- end }}
{{- $webs := dict "gateway" .Values.gateway.web "router" .Values.router.web "expert" .Values.experts.web "controller" .Values.placementController.web }}
{{- range $role := list "gateway" "router" "expert" "controller" }}
{{- if and (include "moe-mesh.tlsOn" (dict "root" $ "role" $role)) (not (index $webs $role).enabled) }}
{{- fail (printf "%s speaks TLS (gateway.tls or security.mtls) but its web (actuator) is off: Kubernetes' gRPC probes cannot speak TLS, so the chart probes /actuator/health; turn the %s web on" $role $role) }}
{{- end }}
{{- end }}
{{- if and (eq (int .Values.router.grpcPort) (int .Values.router.internalGrpcPort)) }}
{{- fail (printf "router.internalGrpcPort (%v) must differ from router.grpcPort: the internal services have their own port" .Values.router.internalGrpcPort) }}
{{- end }}
{{- $np := .Values.networkPolicy }}
{{- if and $np.enabled (not $np.apiServer.cidrs) }}
{{- fail "networkPolicy.apiServer.cidrs is empty: routers (EndpointSlice discovery) and the placement controller call the Kubernetes API server, and the chart opens that egress to the given addresses only. Set it to the API server's address(es) as /32 CIDRs: `kubectl get endpoints kubernetes -n default -o jsonpath='{.subsets[*].addresses[*].ip}'`" }}
{{- end }}
{{- if and $np.enabled .Values.metrics.serviceMonitor.enabled (not $np.metrics.from) }}
{{- fail "metrics.serviceMonitor.enabled while networkPolicy.metrics.from is empty: the actuator ports are closed to everyone, so Prometheus could not scrape. Name Prometheus's namespace or pods in networkPolicy.metrics.from" }}
{{- end }}
{{- end }}

{{/* A Service's in-cluster DNS names (a YAML list). Args: root, service. */}}
{{- define "moe-mesh.serviceDnsNames" -}}
- {{ .service }}
- {{ .service }}.{{ .root.Release.Namespace }}.svc
- {{ .service }}.{{ .root.Release.Namespace }}.svc.cluster.local
{{- end }}
