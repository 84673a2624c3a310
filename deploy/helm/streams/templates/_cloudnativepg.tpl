{{/* Names of the CloudNativePG objects. The drill's temporary Cluster and the recovered Cluster never take the live
Cluster's name: a recovery is always into a new Cluster, beside the live one. */}}
{{- define "streams.cnpg.clusterName" -}}
{{- .Values.cloudnativepg.cluster.name | default (printf "%s-db" (include "streams.fullname" .)) -}}
{{- end -}}
{{- define "streams.cnpg.objectStoreName" -}}
{{- .Values.cloudnativepg.objectStore.name | default (printf "%s-backups" (include "streams.fullname" .)) -}}
{{- end -}}
{{- define "streams.cnpg.recoveryName" -}}
{{- .Values.cloudnativepg.recovery.name | default (printf "%s-recovered" (include "streams.cnpg.clusterName" .)) -}}
{{- end -}}
{{- define "streams.cnpg.drillClusterName" -}}
{{- printf "%s-drill" (include "streams.cnpg.clusterName" .) -}}
{{- end -}}
{{- define "streams.cnpg.pluginName" -}}barman-cloud.cloudnative-pg.io{{- end -}}

{{/* A CloudNativePG schedule, refused unless it has six fields (seconds first) or is a descriptor such as @daily:
CloudNativePG would read a Kubernetes-style five-field line as seconds, minutes, hours… and back up every hour.
Called with (dict "key" "<values key>" "value" <schedule>). */}}
{{- define "streams.cnpg.schedule" -}}
{{- $value := trim (toString .value) -}}
{{- if and (not (hasPrefix "@" $value)) (ne (len (splitList " " (regexReplaceAll "\\s+" $value " "))) 6) -}}
{{- fail (printf "%s must have six fields, seconds first (CloudNativePG's cron, e.g. \"0 0 2 * * *\"); got %q" .key $value) -}}
{{- end -}}
{{- $value -}}
{{- end -}}

{{/* The external cluster a recovery reads from: the live Cluster's base backups and WAL in the ObjectStore. */}}
{{- define "streams.cnpg.originExternalCluster" -}}
- name: origin
  plugin:
    name: {{ include "streams.cnpg.pluginName" . }}
    parameters:
      barmanObjectName: {{ include "streams.cnpg.objectStoreName" . }}
      serverName: {{ include "streams.cnpg.clusterName" . }}
{{- end -}}

{{/* Everything a recovered Cluster shares with the live one: image, storage, resources, the app database's names
(so its `<name>-app` Secret has the same shape). */}}
{{- define "streams.cnpg.instanceSpec" -}}
{{- $cluster := .Values.cloudnativepg.cluster -}}
imageName: {{ $cluster.imageName }}
storage:
  size: {{ $cluster.storage.size }}
  {{- with $cluster.storage.storageClass }}
  storageClass: {{ . }}
  {{- end }}
resources:
  {{- toYaml $cluster.resources | nindent 2 }}
{{- end -}}

{{/* The recovery target of cloudnativepg.recovery: at most one kind, refused otherwise, naming the keys. */}}
{{- define "streams.cnpg.recoveryTarget" -}}
{{- $recovery := .Values.cloudnativepg.recovery -}}
{{- $set := list -}}
{{- range $key := list "targetTime" "targetLSN" "targetName" "targetXID" -}}
{{- if toString (index $recovery $key) -}}{{- $set = append $set (printf "cloudnativepg.recovery.%s" $key) -}}{{- end -}}
{{- end -}}
{{- if gt (len $set) 1 -}}
{{- fail (printf "set one recovery target at a time; got %s" (join ", " $set)) -}}
{{- end -}}
{{- if and $recovery.targetLSN (not (regexMatch "^[0-9A-Fa-f]{1,8}/[0-9A-Fa-f]{1,8}$" (toString $recovery.targetLSN))) -}}
{{- fail (printf "cloudnativepg.recovery.targetLSN must be a WAL location such as 0/3000060; got %q" (toString $recovery.targetLSN)) -}}
{{- end -}}
{{- if and $recovery.targetXID (not (regexMatch "^[0-9]+$" (toString $recovery.targetXID))) -}}
{{- fail (printf "cloudnativepg.recovery.targetXID must be a transaction id (digits); got %q" (toString $recovery.targetXID)) -}}
{{- end -}}
{{- if and (or $recovery.targetName $recovery.targetXID) (not $recovery.backupID) -}}
{{- fail "cloudnativepg.recovery.backupID is required with cloudnativepg.recovery.targetName or cloudnativepg.recovery.targetXID (CloudNativePG cannot pick the base backup for them)" -}}
{{- end -}}
{{- if or $set $recovery.backupID -}}
recoveryTarget:
  {{- with $recovery.backupID }}
  backupID: {{ . | quote }}
  {{- end }}
  {{- with $recovery.targetTime }}
  targetTime: {{ . | quote }}
  {{- end }}
  {{- with $recovery.targetLSN }}
  targetLSN: {{ . | quote }}
  {{- end }}
  {{- with $recovery.targetName }}
  targetName: {{ . | quote }}
  {{- end }}
  {{- with $recovery.targetXID }}
  targetXID: {{ toString . | quote }}
  {{- end }}
  {{- if $set }}
  exclusive: {{ $recovery.exclusive }}
  {{- end }}
{{- end -}}
{{- end -}}

{{/* The chart's switches for CloudNativePG need its main switch. */}}
{{- define "streams.cnpg.requireEnabled" -}}
{{- $cnpg := .Values.cloudnativepg -}}
{{- if and (not $cnpg.enabled) (or $cnpg.recovery.enabled $cnpg.drill.enabled $cnpg.volumeSnapshot.enabled) -}}
{{- fail "cloudnativepg.recovery, cloudnativepg.drill and cloudnativepg.volumeSnapshot need cloudnativepg.enabled: they restore from or back up the release's Cluster" -}}
{{- end -}}
{{- end -}}

{{/* Environment of the drill's kubectl containers: the Job and pod they run in (downward API) and what to restore. */}}
{{- define "streams.cnpg.drillEnv" -}}
- name: NAMESPACE
  valueFrom: { fieldRef: { fieldPath: metadata.namespace } }
- name: POD_NAME
  valueFrom: { fieldRef: { fieldPath: metadata.name } }
- name: JOB_NAME
  valueFrom: { fieldRef: { fieldPath: "metadata.labels['batch.kubernetes.io/job-name']" } }
- name: JOB_UID
  valueFrom: { fieldRef: { fieldPath: "metadata.labels['batch.kubernetes.io/controller-uid']" } }
- name: DRILL_CLUSTER
  value: {{ include "streams.cnpg.drillClusterName" . }}
- name: DATABASE
  value: {{ .Values.cloudnativepg.cluster.database }}
- name: READY_TIMEOUT_SECONDS
  value: {{ .Values.cloudnativepg.drill.readyTimeoutSeconds | quote }}
- name: POLL_SECONDS
  value: "10"
- name: SCRIPTS
  value: /drill/scripts
- name: WORK
  value: /drill/work
# kubectl's cache; the root filesystem is read-only.
- name: HOME
  value: /tmp
{{- end -}}
{{- define "streams.cnpg.drillKubectlMounts" -}}
- name: scripts
  mountPath: /drill/scripts
  readOnly: true
- name: work
  mountPath: /drill/work
- name: tmp
  mountPath: /tmp
- name: api-token
  mountPath: /var/run/secrets/kubernetes.io/serviceaccount
  readOnly: true
{{- end -}}
