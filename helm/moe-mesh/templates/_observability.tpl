{{/* Tracing, metrics and autoscaling pieces shared by the templates (docs/observability.md). */}}

{{/*
Tracing arguments of every service: the OTLP endpoint and the sampling probability, only while
tracing.otlpEndpoint is set (the services export nothing without an endpoint). Arg: root.
*/}}
{{- define "moe-mesh.tracingArgs" -}}
{{- $t := .Values.tracing }}
{{- if $t.otlpEndpoint -}}
- --moemesh.tracing.otlp-endpoint={{ $t.otlpEndpoint }}
- --moemesh.tracing.sampling-probability={{ $t.samplingProbability }}
{{- end }}
{{- end }}

{{/*
The OpenTelemetry collector's port: networkPolicy.tracing.port, else the port of
tracing.otlpEndpoint, else its scheme's (80, 443). Arg: root.
*/}}
{{- define "moe-mesh.tracingPort" -}}
{{- $np := .Values.networkPolicy.tracing }}
{{- if $np.port }}
{{- $np.port }}
{{- else }}
{{- $url := urlParse .Values.tracing.otlpEndpoint }}
{{- $port := regexFind ":[0-9]+$" $url.host | trimPrefix ":" }}
{{- if $port }}{{ $port }}{{ else if eq $url.scheme "https" }}443{{ else }}80{{ end }}
{{- end }}
{{- end }}

{{/*
Egress to the OpenTelemetry collector (networkPolicy.tracing.to, required: no "any address"
fallback), while tracing.otlpEndpoint is set. Arg: root.
*/}}
{{- define "moe-mesh.tracingEgress" -}}
{{- if .Values.tracing.otlpEndpoint -}}
{{- if not .Values.networkPolicy.tracing.to }}
{{- fail "networkPolicy.tracing.to is required while tracing.otlpEndpoint is set and networkPolicy.enabled is true: the collector's peers (there is no \"any address\" fallback), e.g. [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: monitoring}}}]" }}
{{- end -}}
- to:
    {{- toYaml .Values.networkPolicy.tracing.to | nindent 4 }}
  ports:
    - port: {{ include "moe-mesh.tracingPort" . }}
      protocol: TCP
{{- end }}
{{- end }}

{{/*
Whether an expert scales with a KEDA ScaledObject ("true") rather than an HPA (""): provider keda
and metric tokensPerSecond; CPU stays a plain HPA. Arg: the expert's autoscaling settings.
*/}}
{{- define "moe-mesh.expertScaledByKeda" -}}
{{- if and .enabled (eq .provider "keda") (eq .metric "tokensPerSecond") }}true{{ end }}
{{- end }}

{{/*
Fails when expert `id` scales on tokensPerSecond without the HTTP server that serves its metrics.
Args: root, id, autoscaling (the expert's autoscaling settings).
*/}}
{{- define "moe-mesh.requireExpertMetrics" -}}
{{- if and .autoscaling.enabled (eq .autoscaling.metric "tokensPerSecond") (not .root.Values.experts.web.enabled) }}
{{- fail (printf "expert %s: autoscaling.metric tokensPerSecond needs experts.web.enabled: the tokens per second come from the experts' /actuator/prometheus" .id) }}
{{- end }}
{{- end }}
