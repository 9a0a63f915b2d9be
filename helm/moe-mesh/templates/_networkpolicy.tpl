{{/* Pieces of networkpolicies.yaml. */}}

{{/* Pods of one role of this release, in this namespace. Args: root, role. */}}
{{- define "moe-mesh.peer" -}}
- podSelector:
    matchLabels:
      {{- include "moe-mesh.roleSelector" . | nindent 6 }}
{{- end }}

{{/* DNS to any address: cluster DNS may be a Service, a node-local cache or an upstream IP. */}}
{{- define "moe-mesh.dnsEgress" -}}
- ports:
    - port: 53
      protocol: UDP
    - port: 53
      protocol: TCP
{{- end }}

{{/* The actuator port, from the given peers; nothing when web is off or no peer is given
(an ingress rule without `from` would admit everyone). Args: web, from. */}}
{{- define "moe-mesh.metricsIngress" -}}
{{- if and .web.enabled .from -}}
- from:
    {{- toYaml .from | nindent 4 }}
  ports:
    - port: {{ .web.port }}
      protocol: TCP
{{- end }}
{{- end }}

{{/* The Kubernetes API server: its ports, at the given CIDRs only (required: moe-mesh.validateSecurity). Arg: networkPolicy.apiServer. */}}
{{- define "moe-mesh.apiServerEgress" -}}
- ports:
    {{- range .ports }}
    - port: {{ . }}
      protocol: TCP
    {{- end }}
  to:
    {{- range (required "networkPolicy.apiServer.cidrs is required" .cidrs) }}
    - ipBlock:
        cidr: {{ . }}
    {{- end }}
{{- end }}
