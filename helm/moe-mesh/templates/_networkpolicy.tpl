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

{{/* The actuator port, from the metrics peers; nothing when web is off. Args: web, from. */}}
{{- define "moe-mesh.metricsIngress" -}}
{{- if .web.enabled -}}
- from:
    {{- toYaml .from | nindent 4 }}
  ports:
    - port: {{ .web.port }}
      protocol: TCP
{{- end }}
{{- end }}

{{/* The Kubernetes API server: its ports, to the given CIDRs or any address. Arg: networkPolicy.apiServer. */}}
{{- define "moe-mesh.apiServerEgress" -}}
- ports:
    {{- range .ports }}
    - port: {{ . }}
      protocol: TCP
    {{- end }}
  {{- with .cidrs }}
  to:
    {{- range . }}
    - ipBlock:
        cidr: {{ . }}
    {{- end }}
  {{- end }}
{{- end }}
