{{/*
Pieces every pod of the chart shares: security contexts (values podSecurityContext and
containerSecurityContext: the images run as uid 10001 with a read-only root filesystem), gRPC probes, /tmp, the model volume.
*/}}

{{/* The chart-wide podSecurityContext (values). Per component: moe-mesh.podSecurityContextOf. Arg: root. */}}
{{- define "moe-mesh.podSecurityContext" -}}
{{- toYaml .Values.podSecurityContext }}
{{- end }}

{{/* The chart-wide containerSecurityContext (values). Per component: moe-mesh.containerSecurityContextOf. Arg: root. */}}
{{- define "moe-mesh.containerSecurityContext" -}}
{{- toYaml .Values.containerSecurityContext }}
{{- end }}

{{/*
Kubernetes gRPC probes against the standard grpc.health.v1 service on the given port. A service
reports SERVING only once its model is loaded and warmed up, hence the generous startup probe
(up to 5 minutes); liveness starts only after it.
*/}}
{{- define "moe-mesh.grpcProbes" -}}
startupProbe:
  grpc:
    port: {{ . }}
  periodSeconds: 5
  timeoutSeconds: 3
  failureThreshold: 60
readinessProbe:
  grpc:
    port: {{ . }}
  periodSeconds: 5
  timeoutSeconds: 3
  failureThreshold: 2
livenessProbe:
  grpc:
    port: {{ . }}
  periodSeconds: 10
  timeoutSeconds: 5
  failureThreshold: 3
{{- end }}

{{/* Spring Boot's HTTP server: the actuator port, or none. Arg: a component's web values. */}}
{{- define "moe-mesh.webArgs" -}}
{{- if .enabled -}}
- --server.port={{ .port }}
{{- else -}}
- --spring.main.web-application-type=none
{{- end }}
{{- end }}

{{/* Container ports: grpc, and http when web is on. Args: grpcPort, web. */}}
{{- define "moe-mesh.containerPorts" -}}
- name: grpc
  containerPort: {{ .grpcPort }}
  protocol: TCP
{{- if .web.enabled }}
- name: http
  containerPort: {{ .web.port }}
  protocol: TCP
{{- end }}
{{- end }}

{{/* Service ports, by name, matching moe-mesh.containerPorts. Args: grpcPort, web. */}}
{{- define "moe-mesh.servicePorts" -}}
- name: grpc
  port: {{ .grpcPort }}
  targetPort: grpc
  protocol: TCP
  appProtocol: grpc
{{- if .web.enabled }}
- name: http
  port: {{ .web.port }}
  targetPort: http
  protocol: TCP
  appProtocol: http
{{- end }}
{{- end }}

{{- define "moe-mesh.env" -}}
- name: JAVA_TOOL_OPTIONS
  value: {{ .jvmOptions | quote }}
- name: POD_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
- name: POD_NAMESPACE
  valueFrom:
    fieldRef:
      fieldPath: metadata.namespace
{{- end }}

{{- define "moe-mesh.imagePullSecrets" -}}
{{- with .Values.image.pullSecrets -}}
imagePullSecrets:
{{- range . }}
  - name: {{ . }}
{{- end }}
{{- end }}
{{- end }}

{{- define "moe-mesh.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: 256Mi
{{- end }}

{{- define "moe-mesh.tmpVolumeMount" -}}
- name: tmp
  mountPath: /tmp
{{- end }}

{{/* The model image (imageCopy and imageVolume): given, or <registry>/<repository>/models:<tag>. */}}
{{- define "moe-mesh.modelImage" -}}
{{- $src := .Values.model.source }}
{{- $given := ternary $src.imageCopy.image $src.imageVolume.reference (eq $src.type "imageCopy") }}
{{- default (include "moe-mesh.image" (dict "root" . "module" "models")) $given }}
{{- end }}

{{/* The pod volume `model`, as model.source chooses. */}}
{{- define "moe-mesh.modelVolume" -}}
{{- $src := .Values.model.source -}}
- name: model
{{- if eq $src.type "imageCopy" }}
  emptyDir:
    sizeLimit: {{ $src.imageCopy.sizeLimit }}
{{- else if eq $src.type "imageVolume" }}
  image:
    reference: {{ include "moe-mesh.modelImage" . }}
    pullPolicy: {{ $src.imageVolume.pullPolicy }}
{{- else if eq $src.type "pvc" }}
  persistentVolumeClaim:
    claimName: {{ required "model.source.pvc.claimName is required when model.source.type is pvc" $src.pvc.claimName }}
    readOnly: true
{{- else if eq $src.type "hostPath" }}
  hostPath:
    path: {{ required "model.source.hostPath.path is required when model.source.type is hostPath" $src.hostPath.path }}
    type: Directory
{{- end }}
{{- end }}

{{/* The model mounted read-only at /models; services read /models/<model.name>. */}}
{{- define "moe-mesh.modelVolumeMount" -}}
{{- $src := .Values.model.source -}}
- name: model
  mountPath: /models
  readOnly: true
{{- if and (eq $src.type "imageVolume") $src.imageVolume.subPath }}
  subPath: {{ $src.imageVolume.subPath }}
{{- else if and (eq $src.type "pvc") $src.pvc.subPath }}
  subPath: {{ $src.pvc.subPath }}
{{- end }}
{{- end }}

{{- define "moe-mesh.modelDir" -}}
/models/{{ .Values.model.name }}
{{- end }}

{{/* imageCopy: an init container copies <path>/<model.name> from the model image into the emptyDir. */}}
{{- define "moe-mesh.modelInitContainers" -}}
{{- $src := .Values.model.source }}
{{- if eq $src.type "imageCopy" -}}
initContainers:
  - name: copy-model
    image: {{ include "moe-mesh.modelImage" . }}
    imagePullPolicy: {{ .Values.image.pullPolicy }}
    command:
      - cp
      - -R
      - {{ printf "%s/%s" (trimSuffix "/" $src.imageCopy.path) .Values.model.name }}
      - /model-copy/
    securityContext:
      {{- include "moe-mesh.containerSecurityContext" . | nindent 6 }}
    resources:
      requests:
        cpu: 100m
        memory: 64Mi
      limits:
        memory: 128Mi
    volumeMounts:
      - name: model
        mountPath: /model-copy
      {{- include "moe-mesh.tmpVolumeMount" . | nindent 6 }}
{{- end }}
{{- end }}
