{{/* Chart name and version, as used by the chart label. */}}
{{- define "wordpress.chart" -}}
{{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels that select this release's pods; add app.kubernetes.io/component per tier. */}}
{{- define "wordpress.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Standard labels of every object. */}}
{{- define "wordpress.labels" -}}
helm.sh/chart: {{ include "wordpress.chart" . }}
{{ include "wordpress.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* The last lines of every hook script: fail on request, after saying why. */}}
{{- define "wordpress.hookOutcome" -}}
{{- if .fail -}}
echo {{ .what }} failed because {{ .switch }} is true
exit 1
{{- else -}}
echo {{ .what }} succeeded
{{- end -}}
{{- end }}
