{{/*
Router fan-in (docs/kubernetes.md, "Router fan-in"): gateways and the placement controller reach
every router pod, not one, through a headless Service; router and gateway pods keep away from each
other's node and zone, and a PodDisruptionBudget keeps one serving through a node drain.
*/}}

{{/* The headless router Service: one DNS record per ready router pod. Arg: root. */}}
{{- define "moe-mesh.routerHeadlessName" -}}
{{- include "moe-mesh.componentName" (dict "root" . "role" "router") | trunc 54 | trimSuffix "-" }}-headless
{{- end }}

{{/* The routers as gateways and the controller address them: every pod behind the headless Service. Args: root, port. */}}
{{- define "moe-mesh.routerTargets" -}}
dns:///{{ include "moe-mesh.routerHeadlessName" .root }}:{{ .port }}
{{- end }}

{{/*
The pod affinity of a router or gateway: the component's own `affinity` when set, otherwise (with
`spreadPods`) a preferred anti-affinity that puts replicas on different nodes, then different
zones. Preferred, never required: a small cluster still schedules every replica. Args: root, role, values.
*/}}
{{- define "moe-mesh.spreadAffinity" -}}
{{- if .values.affinity }}
{{- toYaml .values.affinity }}
{{- else if .values.spreadPods }}
{{- $labels := include "moe-mesh.selectorLabels" (dict "root" .root "role" .role) }}
podAntiAffinity:
  preferredDuringSchedulingIgnoredDuringExecution:
    - weight: 100
      podAffinityTerm:
        topologyKey: kubernetes.io/hostname
        labelSelector:
          matchLabels:
            {{- $labels | nindent 12 }}
    - weight: 50
      podAffinityTerm:
        topologyKey: topology.kubernetes.io/zone
        labelSelector:
          matchLabels:
            {{- $labels | nindent 12 }}
{{- end }}
{{- end }}

{{/*
A PodDisruptionBudget for a router or gateway Deployment that can run more than one pod (HPA
minReplicas, or replicas without an HPA, above 1): a voluntary disruption (node drain, cluster
upgrade) then takes at most maxUnavailable pods at once. With one pod it would block every drain,
so none is rendered. Args: root, role, values.
*/}}
{{- define "moe-mesh.fanInPdb" -}}
{{- $v := .values }}
{{- $pods := ternary $v.autoscaling.minReplicas $v.replicas $v.autoscaling.enabled | int }}
{{- if and $v.podDisruptionBudget.enabled (gt $pods 1) }}
{{- $sel := dict "root" .root "role" .role }}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "moe-mesh.componentName" $sel }}
  labels:
    {{- include "moe-mesh.labels" $sel | nindent 4 }}
spec:
  maxUnavailable: {{ $v.podDisruptionBudget.maxUnavailable }}
  selector:
    matchLabels:
      {{- include "moe-mesh.selectorLabels" $sel | nindent 6 }}
{{- end }}
{{- end }}
