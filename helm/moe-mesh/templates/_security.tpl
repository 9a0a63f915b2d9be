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

{{/*
The name the experts' certificate carries (the rendered expert Certificate adds it), which routers
and the placement controller verify when they call an expert: they reach experts at pod IPs
(EndpointSlices), and no certificate names a pod's address.
*/}}
{{- define "moe-mesh.expertServerName" -}}
{{- default (printf "%s.%s.svc" (include "moe-mesh.componentName" (dict "root" . "role" "expert")) .Release.Namespace) .Values.security.mtls.expertServerName }}
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
{{- if or (eq .role "router") (eq .role "controller") }}
- --moemesh.tls.expert-server-name={{ include "moe-mesh.expertServerName" $root }}
{{- end }}
{{- end }}
{{- if include "moe-mesh.tlsOn" . }}
- --moemesh.transport.health-port={{ $sec.healthPort }}
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
Probes: kubelet's gRPC probes against grpc.health.v1. They speak plaintext only, so a component
whose gRPC servers speak TLS runs a plaintext health-only server on security.healthPort
(moemesh.transport.health-port) and is probed there. Args: root, role, grpcPort.
*/}}
{{- define "moe-mesh.probes" -}}
{{- $probes := include "moe-mesh.grpcProbes" (ternary .root.Values.security.healthPort .grpcPort (eq (include "moe-mesh.tlsOn" .) "true")) | fromYaml }}
{{- /* <component>.probes.<startupProbe|readinessProbe|livenessProbe>: fields laid over the chart's (docs/kubernetes.md) */}}
{{- $c := index .root.Values (include "moe-mesh.valuesKey" .) }}
{{- range $name, $override := ($c.probes | default dict) }}
{{- $_ := set $probes $name (mergeOverwrite (index $probes $name) (deepCopy $override)) }}
{{- end }}
{{- toYaml $probes }}
{{- end }}

{{/* The container port of the plaintext health server, when the component speaks TLS. Args: root, role. */}}
{{- define "moe-mesh.healthContainerPort" -}}
{{- if include "moe-mesh.tlsOn" . }}
- name: grpc-health
  containerPort: {{ .root.Values.security.healthPort }}
  protocol: TCP
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
{{- $gtls := .Values.gateway.tls }}
{{- if and $sec.mtls.enabled $gtls.secretName (not (and $gtls.certManager.issuerRef (deepEqual $gtls.certManager.issuerRef $sec.mtls.certManager.issuerRef))) }}
{{- fail "gateway.tls.secretName is set together with security.mtls.enabled: the gateway has one certificate, which it serves on its public port and presents to the routers as its mesh identity, and the routers accept only certificates from the mesh CA (a public certificate, e.g. Let's Encrypt's, has no ca.crt and is refused). Either issue the gateway's certificate from the mesh CA (gateway.tls.certManager.issuerRef equal to security.mtls.certManager.issuerRef; clients then trust the mesh CA with --ca-cert), or keep the public certificate and authenticate the services with the internal token instead of mTLS (security.internalToken.existingSecret, security.mtls.enabled=false)" }}
{{- end }}
{{- $components := dict "gateway" .Values.gateway "router" .Values.router "expert" .Values.experts "controller" .Values.placementController }}
{{- range $role := list "gateway" "router" "expert" "controller" }}
{{- $c := index $components $role }}
{{- $ports := list $c.grpcPort (ternary $c.web.port 0 $c.web.enabled) ($c.internalGrpcPort | default 0) }}
{{- if and (eq $role "gateway") $c.openAi.enabled }}{{ $ports = append $ports $c.openAi.port }}{{ end }}
{{- range $port := $ports }}
{{- if and (include "moe-mesh.tlsOn" (dict "root" $ "role" $role)) (eq (int $port) (int $sec.healthPort)) }}
{{- fail (printf "security.healthPort (%v) is also a port of the %s: the plaintext health server of a TLS component needs a port of its own" $sec.healthPort $role) }}
{{- end }}
{{- end }}
{{- end }}
{{- if and (eq (int .Values.router.grpcPort) (int .Values.router.internalGrpcPort)) }}
{{- fail (printf "router.internalGrpcPort (%v) must differ from router.grpcPort: the internal services have their own port" .Values.router.internalGrpcPort) }}
{{- end }}
{{- $g := .Values.gateway }}
{{- if and $g.openAi.enabled (or (eq (int $g.openAi.port) (int $g.grpcPort)) (and $g.web.enabled (eq (int $g.openAi.port) (int $g.web.port)))) }}
{{- fail (printf "gateway.openAi.port (%v) must differ from gateway.grpcPort and gateway.web.port: the OpenAI API has its own port" $g.openAi.port) }}
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
