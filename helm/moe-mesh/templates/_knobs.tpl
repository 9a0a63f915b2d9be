{{/*
Per-component settings platform teams expect of a chart (docs/kubernetes.md, "Production
checklist"): security contexts, priority, spread, extra labels, env, volumes, ServiceAccount, probe
overrides. Every helper takes root and role (expert|router|gateway|controller) and reads the
role's values block itself, so a template passes the same two arguments everywhere.
*/}}

{{/* The values key of a role: experts, router, gateway, placementController. */}}
{{- define "moe-mesh.valuesKey" -}}
{{- get (dict "expert" "experts" "router" "router" "gateway" "gateway" "controller" "placementController") .role }}
{{- end }}

{{/*
The pod securityContext: the chart-wide podSecurityContext (hardened: uid 10001, RuntimeDefault
seccomp), with <component>.podSecurityContext laid over it. OpenShift assigns the uid itself:
set podSecurityContext.runAsUser (and runAsGroup, fsGroup) to null there, which deletes the
chart's value.
*/}}
{{- define "moe-mesh.podSecurityContextOf" -}}
{{- $c := index .root.Values (include "moe-mesh.valuesKey" .) }}
{{- toYaml (mergeOverwrite (deepCopy (.root.Values.podSecurityContext | default dict)) (deepCopy ($c.podSecurityContext | default dict))) }}
{{- end }}

{{/* The container securityContext: containerSecurityContext with <component>.securityContext over it. */}}
{{- define "moe-mesh.containerSecurityContextOf" -}}
{{- $c := index .root.Values (include "moe-mesh.valuesKey" .) }}
{{- toYaml (mergeOverwrite (deepCopy (.root.Values.containerSecurityContext | default dict)) (deepCopy ($c.securityContext | default dict))) }}
{{- end }}

{{/*
<component>.podLabels, less the chart's own label keys: a selector label overwritten from values
would detach the pods from their Deployment and Services.
*/}}
{{- define "moe-mesh.podLabels" -}}
{{- $c := index .root.Values (include "moe-mesh.valuesKey" .) }}
{{- $own := list "app.kubernetes.io/name" "app.kubernetes.io/instance" "app.kubernetes.io/component" "app.kubernetes.io/part-of" "app.kubernetes.io/version" "app.kubernetes.io/managed-by" "helm.sh/chart" "moemesh.io/role" "moemesh.io/expert" }}
{{- $labels := deepCopy ($c.podLabels | default dict) }}
{{- range $own }}{{ $_ := unset $labels . }}{{ end }}
{{- with $labels }}
{{- toYaml . }}
{{- end }}
{{- end }}

{{/* Pod-spec fields that are set only when given: priorityClassName, topologySpreadConstraints. */}}
{{- define "moe-mesh.podScheduling" -}}
{{- $c := index .root.Values (include "moe-mesh.valuesKey" .) }}
{{- with $c.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- with $c.topologySpreadConstraints }}
topologySpreadConstraints:
  {{- tpl (toYaml .) $.root | nindent 2 }}
{{- end }}
{{- end }}

{{/* The ServiceAccount a component's pods run as: <component>.serviceAccount.name, or the chart's. */}}
{{- define "moe-mesh.serviceAccountName" -}}
{{- $c := index .root.Values (include "moe-mesh.valuesKey" .) }}
{{- default (include "moe-mesh.componentName" (dict "root" .root "role" .role)) ($c.serviceAccount | default dict).name }}
{{- end }}

{{/* metadata.annotations of a component's ServiceAccount (workload identity), or nothing. */}}
{{- define "moe-mesh.serviceAccountAnnotations" -}}
{{- $c := index .root.Values (include "moe-mesh.valuesKey" .) }}
{{- with ($c.serviceAccount | default dict).annotations }}
annotations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/* true when the chart creates the component's ServiceAccount (serviceAccount.create, default on). */}}
{{- define "moe-mesh.serviceAccountCreate" -}}
{{- $c := index .root.Values (include "moe-mesh.valuesKey" .) }}
{{- $sa := $c.serviceAccount | default dict }}
{{- if or (not (hasKey $sa "create")) $sa.create }}true{{ end }}
{{- end }}

{{/* <component>.extraEnv (a list of EnvVars, after the chart's), tpl-rendered. */}}
{{- define "moe-mesh.extraEnv" -}}
{{- $c := index .root.Values (include "moe-mesh.valuesKey" .) }}
{{- with $c.extraEnv }}
{{- tpl (toYaml .) $.root }}
{{- end }}
{{- end }}

{{/* A container's envFrom (ConfigMaps, Secrets), or nothing. */}}
{{- define "moe-mesh.envFrom" -}}
{{- $c := index .root.Values (include "moe-mesh.valuesKey" .) }}
{{- with $c.envFrom }}
envFrom:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/* <component>.extraVolumes, appended to the pod's volumes. */}}
{{- define "moe-mesh.extraVolumes" -}}
{{- $c := index .root.Values (include "moe-mesh.valuesKey" .) }}
{{- with $c.extraVolumes }}
{{- tpl (toYaml .) $.root }}
{{- end }}
{{- end }}

{{/* <component>.extraVolumeMounts, appended to the main container's mounts. */}}
{{- define "moe-mesh.extraVolumeMounts" -}}
{{- $c := index .root.Values (include "moe-mesh.valuesKey" .) }}
{{- with $c.extraVolumeMounts }}
{{- toYaml . }}
{{- end }}
{{- end }}

{{/*
Refuses an edge that would carry API keys in clear or attach to nothing (gateway.ingress,
gateway.route). Arg: root.
*/}}
{{- define "moe-mesh.validateEdge" -}}
{{- $g := .Values.gateway }}
{{- if $g.ingress.enabled }}
{{- if not (or $g.ingress.grpc.hosts (and $g.openAi.enabled $g.ingress.openAi.hosts)) }}
{{- fail "gateway.ingress.enabled but no hosts: set gateway.ingress.grpc.hosts (and gateway.ingress.openAi.hosts for the OpenAI API)" }}
{{- end }}
{{- if and (not $g.ingress.tls) (not $g.ingress.allowPlaintext) }}
{{- fail "gateway.ingress.tls is empty: the Ingress would carry API keys and prompts in plaintext. Give it a certificate ([{secretName: moe-edge-tls, hosts: [moe.example.com]}], e.g. written by cert-manager), or set gateway.ingress.allowPlaintext=true on a test cluster" }}
{{- end }}
{{- end }}
{{- if and $g.route.enabled (not $g.route.parentRefs) }}
{{- fail "gateway.route.enabled but gateway.route.parentRefs is empty: name the Gateway (gateway.networking.k8s.io) whose HTTPS listener the routes attach to, e.g. [{name: edge, namespace: infra, sectionName: https}]" }}
{{- end }}
{{- if and $g.route.enabled (not $g.route.grpc.enabled) (not (and $g.route.openAi.enabled $g.openAi.enabled)) }}
{{- fail "gateway.route.enabled but neither gateway.route.grpc.enabled nor (gateway.route.openAi.enabled with gateway.openAi.enabled): there is no route to render" }}
{{- end }}
{{- end }}
