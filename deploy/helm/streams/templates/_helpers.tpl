{{/* Name of the release's objects: the release name, or "<release>-streams" when the release is named otherwise. */}}
{{- define "streams.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* The Kubernetes recommended labels. */}}
{{- define "streams.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: streams
{{- end -}}

{{/* Selector labels of one component (api, worker, migrate, smoke). */}}
{{- define "streams.selectorLabels" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* The image reference: the digest when set, else the tag (the chart's appVersion by default). */}}
{{- define "streams.image" -}}
{{- if .Values.image.digest -}}
{{ .Values.image.repository }}@{{ .Values.image.digest }}
{{- else -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}
{{- end -}}

{{/* Secret with the database URL and the smoke tokens. */}}
{{- define "streams.secretName" -}}
{{- .Values.database.existingSecret | default (printf "%s-secrets" (include "streams.fullname" .)) -}}
{{- end -}}

{{/* Secret and key of the database URL: database.existingSecret when set, else the app Secret CloudNativePG makes
for the release's Cluster (`<cluster>-app`, key `uri`) when cloudnativepg.enabled, else the chart's own Secret. */}}
{{- define "streams.databaseSecretName" -}}
{{- if and .Values.cloudnativepg.enabled (not .Values.database.existingSecret) -}}
{{- printf "%s-app" (include "streams.cnpg.clusterName" .) -}}
{{- else -}}
{{- include "streams.secretName" . -}}
{{- end -}}
{{- end -}}
{{- define "streams.databaseSecretKey" -}}
{{- ternary "uri" .Values.database.existingSecretKey (and .Values.cloudnativepg.enabled (not .Values.database.existingSecret)) -}}
{{- end -}}
{{- define "streams.smokeSecretName" -}}
{{- .Values.smoke.existingSecret | default (printf "%s-secrets" (include "streams.fullname" .)) -}}
{{- end -}}

{{/* Production hardening of every streams container. */}}
{{- define "streams.containerSecurityContext" -}}
runAsNonRoot: true
runAsUser: 1001
runAsGroup: 1001
readOnlyRootFilesystem: true
allowPrivilegeEscalation: false
capabilities:
  drop: [ALL]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* Pod-level settings shared by every streams pod. Hook pods (migrate, smoke) run before or apart from the
release's objects, so they keep the namespace's default account (without its token). */}}
{{- define "streams.podSpecCommon" -}}
{{- $hook := and (kindIs "map" .) (hasKey . "hook") -}}
{{- $root := ternary .root . $hook -}}
{{- if not $hook }}
serviceAccountName: {{ include "streams.fullname" $root }}
{{- end }}
automountServiceAccountToken: false
securityContext:
  runAsNonRoot: true
  runAsUser: 1001
  runAsGroup: 1001
  fsGroup: 1001
  seccompProfile:
    type: RuntimeDefault
{{- with $root.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $root.Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $root.Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* Environment of every streams container: settings from the ConfigMap, the database URL from the Secret as a file. */}}
{{- define "streams.env" -}}
- name: DATABASE_URL_FILE
  value: /var/run/secrets/streams/database-url
{{- if .Values.rollout.enabled }}
# In the pod template, not only the ConfigMap: a stable pod restarted during an analysis keeps its own version label.
- name: APP_VERSION
  value: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
{{- end }}
{{- range $name, $value := .Values.extraEnv }}
- name: {{ $name }}
  value: {{ $value | quote }}
{{- end }}
{{- end -}}

{{/* The /tmp volume and the database URL volume every streams pod mounts. */}}
{{- define "streams.volumes" -}}
- name: tmp
  emptyDir:
    sizeLimit: 64Mi
- name: database-url
  secret:
    secretName: {{ include "streams.databaseSecretName" . }}
    items:
      - key: {{ include "streams.databaseSecretKey" . }}
        path: database-url
{{- end -}}
{{- define "streams.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
- name: database-url
  mountPath: /var/run/secrets/streams
  readOnly: true
{{- end -}}

{{/* The api pod template, shared by the Deployment and the Argo Rollouts Rollout. */}}
{{- define "streams.apiPodTemplate" -}}
template:
  metadata:
    labels:
      {{- include "streams.labels" . | nindent 6 }}
      app.kubernetes.io/component: api
    annotations:
      checksum/config: {{ include (print $.Template.BasePath "/configmap.yaml") . | sha256sum }}
      {{- with .Values.podAnnotations }}
      {{- toYaml . | nindent 6 }}
      {{- end }}
  spec:
    {{- include "streams.podSpecCommon" . | nindent 4 }}
    terminationGracePeriodSeconds: {{ .Values.api.terminationGracePeriodSeconds }}
    topologySpreadConstraints:
      - maxSkew: {{ .Values.topologySpread.maxSkew }}
        topologyKey: topology.kubernetes.io/zone
        whenUnsatisfiable: ScheduleAnyway
        labelSelector:
          matchLabels:
            {{- include "streams.selectorLabels" (dict "root" . "component" "api") | nindent 12 }}
      - maxSkew: {{ .Values.topologySpread.maxSkew }}
        topologyKey: kubernetes.io/hostname
        whenUnsatisfiable: ScheduleAnyway
        labelSelector:
          matchLabels:
            {{- include "streams.selectorLabels" (dict "root" . "component" "api") | nindent 12 }}
    containers:
      - name: api
        image: {{ include "streams.image" . }}
        imagePullPolicy: {{ .Values.image.pullPolicy }}
        args: ["api"]
        ports:
          - name: http
            containerPort: {{ .Values.api.port }}
          - name: metrics
            containerPort: {{ .Values.api.metricsPort }}
        envFrom:
          - configMapRef:
              name: {{ include "streams.fullname" . }}
        env:
          {{- include "streams.env" . | nindent 10 }}
        startupProbe:
          httpGet: { path: /health/startup, port: http }
          periodSeconds: 2
          failureThreshold: 30
        readinessProbe:
          httpGet: { path: /health/ready, port: http }
          periodSeconds: 5
          failureThreshold: 2
        livenessProbe:
          httpGet: { path: /health/live, port: http }
          periodSeconds: 10
          failureThreshold: 3
        lifecycle:
          preStop:
            sleep:
              seconds: {{ div (add (int .Values.api.shutdownDelayMs) 999) 1000 }}
        resources:
          {{- toYaml .Values.api.resources | nindent 10 }}
        securityContext:
          {{- include "streams.containerSecurityContext" . | nindent 10 }}
        volumeMounts:
          {{- include "streams.volumeMounts" . | nindent 10 }}
    volumes:
      {{- include "streams.volumes" . | nindent 6 }}
{{- end -}}
