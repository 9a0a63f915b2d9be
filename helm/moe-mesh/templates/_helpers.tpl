{{/*
Names and labels. Every object carries the common labels; selectors use only the stable subset
(moe-mesh.selectorLabels), since a Deployment's selector cannot change after creation.
*/}}

{{- define "moe-mesh.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* "<release>-moe-mesh", or the release name alone when it already holds the chart name. */}}
{{- define "moe-mesh.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "moe-mesh.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* app.kubernetes.io/component of a role: expert, router, gateway, placement-controller. */}}
{{- define "moe-mesh.component" -}}
{{- if eq . "controller" }}placement-controller{{ else }}{{ . }}{{ end }}
{{- end }}

{{/*
Name of a component's objects. Args: root, role (expert|router|gateway|controller), and for an
expert's own objects its index (id). Without id, role expert names what all experts share (their
ServiceAccount, their NetworkPolicy). The base (moe-mesh.fullname) is cut before the suffix
("-expert-10") is appended, never the whole name: cutting the whole name at 63 characters made
"<long release>-moe-mesh-expert-1" and "...-expert-10" (or "-router" and "-gateway") the same
name. Ends within 63 characters, less the room given in `reserve` (for "-metrics", "-mtls").
*/}}
{{- define "moe-mesh.componentName" -}}
{{- $suffix := printf "-%s" (include "moe-mesh.component" .role) }}
{{- if hasKey . "id" }}{{ $suffix = printf "%s-%v" $suffix .id }}{{ end }}
{{- $room := sub (sub 63 (len $suffix)) (int (.reserve | default 0)) }}
{{- printf "%s%s" (include "moe-mesh.fullname" .root | trunc (int $room) | trimSuffix "-") $suffix }}
{{- end }}

{{/* Selector labels. Args: root, role, optional id (an expert's index). */}}
{{- define "moe-mesh.selectorLabels" -}}
app.kubernetes.io/name: {{ include "moe-mesh.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ include "moe-mesh.component" .role }}
moemesh.io/role: {{ .role }}
{{- if hasKey . "id" }}
moemesh.io/expert: {{ .id | quote }}
{{- end }}
{{- end }}

{{/* Selector labels plus the descriptive ones. Args as moe-mesh.selectorLabels. */}}
{{- define "moe-mesh.labels" -}}
{{ include "moe-mesh.selectorLabels" . }}
app.kubernetes.io/part-of: moe-mesh
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ include "moe-mesh.chart" .root }}
{{- end }}

{{/* Labels that select every pod of one role of this release (NetworkPolicy peers). */}}
{{- define "moe-mesh.roleSelector" -}}
app.kubernetes.io/name: {{ include "moe-mesh.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
moemesh.io/role: {{ .role }}
{{- end }}

{{/*
The label selector (one string) of this chart's expert objects in this release, which routers
(EndpointSlice discovery) and the placement controller watch: app.kubernetes.io/name keeps a
second moe-mesh of the same release (an umbrella chart's alias) out of it. Arg: root.
*/}}
{{- define "moe-mesh.expertSelector" -}}
app.kubernetes.io/name={{ include "moe-mesh.name" . }},app.kubernetes.io/instance={{ .Release.Name }},moemesh.io/role=expert
{{- end }}

{{/*
An image reference. Args: root, module (expert-service, ..., models). image.digests.<module>
(sha256:...) pins that image by digest and wins over the tag: a digest names one build, a tag can
be moved.
*/}}
{{- define "moe-mesh.image" -}}
{{- $img := .root.Values.image }}
{{- $digest := index (.root.Values.image.digests | default dict) .module }}
{{- $repo := printf "%s/%s" $img.repository .module }}
{{- if $img.registry }}{{ $repo = printf "%s/%s" $img.registry $repo }}{{ end }}
{{- if $digest }}
{{- printf "%s@%s" $repo $digest }}
{{- else }}
{{- printf "%s:%s" $repo (default .root.Chart.AppVersion $img.tag) }}
{{- end }}
{{- end }}

{{/* The expert indices, comma-separated: experts.list, or 0..experts.count-1. */}}
{{- define "moe-mesh.expertIds" -}}
{{- $ids := list }}
{{- if .Values.experts.list }}
{{- range .Values.experts.list }}{{ $ids = append $ids (int .) }}{{ end }}
{{- else }}
{{- $ids = until (int .Values.experts.count) }}
{{- end }}
{{- join "," $ids }}
{{- end }}

{{/*
The settings of expert `id` (YAML): experts.* with experts.overrides."<id>" applied. An override
replaces replicas, resources, nodeSelector, tolerations, affinity, runtimeClassName,
podAnnotations, strategy and minReadySeconds whole, autoscaling and gpu field by field. The GPU count lands in resources.limits.
*/}}
{{- define "moe-mesh.expertConfig" -}}
{{- $x := .root.Values.experts }}
{{- $o := index $x.overrides (toString .id) | default dict }}
{{- $cfg := dict }}
{{- range $k := list "replicas" "resources" "nodeSelector" "tolerations" "affinity" "runtimeClassName" "podAnnotations" "strategy" "minReadySeconds" }}
{{- $_ := set $cfg $k (ternary (index $o $k) (index $x $k) (hasKey $o $k)) }}
{{- end }}
{{- $autoscaling := deepCopy $x.autoscaling }}
{{- range $k, $v := ($o.autoscaling | default dict) }}{{ $_ := set $autoscaling $k $v }}{{ end }}
{{- $_ := set $cfg "autoscaling" $autoscaling }}
{{- $gpu := deepCopy $x.gpu }}
{{- range $k, $v := ($o.gpu | default dict) }}{{ $_ := set $gpu $k $v }}{{ end }}
{{- $resources := deepCopy ($cfg.resources | default dict) }}
{{- if gt (int $gpu.count) 0 }}
{{- $limits := $resources.limits | default dict }}
{{- $_ := set $limits $gpu.resourceName (int $gpu.count) }}
{{- $_ := set $resources "limits" $limits }}
{{- end }}
{{- /* memory request = limit: the mapped weights sit in the page cache, which counts against the
limit, so a pod scheduled on its request alone can be OOM-killed once it has read its weights */}}
{{- $requests := $resources.requests | default dict }}
{{- $limits := $resources.limits | default dict }}
{{- if and $requests.memory $limits.memory (ne (toString $requests.memory) (toString $limits.memory)) }}
{{- fail (printf "expert %v: resources.requests.memory (%v) must equal resources.limits.memory (%v): the memory-mapped weights count against the limit, and a pod scheduled below it can be OOM-killed under memory pressure; give one value to both (or only limits.memory)" .id $requests.memory $limits.memory) }}
{{- end }}
{{- with (coalesce $limits.memory $requests.memory) }}
{{- $_ := set $requests "memory" . }}
{{- $_ := set $limits "memory" . }}
{{- $_ := set $resources "requests" $requests }}
{{- $_ := set $resources "limits" $limits }}
{{- end }}
{{- $_ := set $cfg "resources" $resources }}
{{- $_ := set $cfg "gpus" (int $gpu.count) }}
{{- toYaml $cfg }}
{{- end }}

{{/* Fails on settings the schema cannot check: min above max, overrides of absent experts. */}}
{{- define "moe-mesh.validate" -}}
{{- $ids := splitList "," (include "moe-mesh.expertIds" .) }}
{{- range $key, $_ := .Values.experts.overrides }}
{{- if not (has $key $ids) }}
{{- fail (printf "experts.overrides.%s: there is no expert %s (experts are %s)" $key $key (join "," $ids)) }}
{{- end }}
{{- end }}
{{- range $id := $ids }}
{{- $cfg := include "moe-mesh.expertConfig" (dict "root" $ "id" $id) | fromYaml }}
{{- if gt (int $cfg.autoscaling.minReplicas) (int $cfg.autoscaling.maxReplicas) }}
{{- fail (printf "expert %s: autoscaling.minReplicas (%v) is above maxReplicas (%v)" $id $cfg.autoscaling.minReplicas $cfg.autoscaling.maxReplicas) }}
{{- end }}
{{- end }}
{{- $names := dict }}
{{- range $id := $ids }}
{{- $name := include "moe-mesh.componentName" (dict "root" $ "role" "expert" "id" $id) }}
{{- if hasKey $names $name }}
{{- fail (printf "experts %s and %s would both be named %s: shorten the release name or set fullnameOverride" (get $names $name) $id $name) }}
{{- end }}
{{- $_ := set $names $name $id }}
{{- end }}
{{- range $role := list "router" "gateway" }}
{{- $as := (index $.Values $role).autoscaling }}
{{- if gt (int $as.minReplicas) (int $as.maxReplicas) }}
{{- fail (printf "%s.autoscaling.minReplicas (%v) is above maxReplicas (%v)" $role $as.minReplicas $as.maxReplicas) }}
{{- end }}
{{- end }}
{{- end }}

{{/*
"true" when the placement controller writes the expert replica counts (enabled and not a dry run):
the chart then leaves the field it writes unrendered (HPA spec.minReplicas, or Deployment
spec.replicas without an HPA) and renders the operator's value as the floor annotation
moemesh.io/replica-floor instead, so helm upgrade and GitOps syncs never reset the controller's
value (docs/kubernetes.md, "GitOps and the controller").
*/}}
{{- define "moe-mesh.controllerOwnsReplicas" -}}
{{- if and .Values.placementController.enabled (not .Values.placementController.dryRun) }}true{{ end }}
{{- end }}

{{/*
The rollout strategy of an expert (its expertConfig): its own `strategy` when set, else a GPU-safe
default. With GPUs maxSurge 0 / maxUnavailable 1: a surge pod cannot schedule on a full GPU pool,
so a surge rollout would wait forever (a single-replica expert is briefly down and the routers
answer `degraded` for it; replicas >= 2 avoid that). Without GPUs maxSurge 1 / maxUnavailable 0:
a new pod serves before an old one leaves.
*/}}
{{- define "moe-mesh.expertStrategy" -}}
{{- if .strategy }}
{{- toYaml .strategy }}
{{- else }}
type: RollingUpdate
rollingUpdate:
  maxSurge: {{ ternary 0 1 (gt (int .gpus) 0) }}
  maxUnavailable: {{ ternary 1 0 (gt (int .gpus) 0) }}
{{- end }}
{{- end }}
