// Preloaded into the measured `helm-sfn` processes (node --require): writes the process's peak
// resident set size, in kilobytes, to $HELM_SFN_BENCH_RSS_FILE as it exits.
process.on('exit', () => require('fs').writeFileSync(process.env.HELM_SFN_BENCH_RSS_FILE, String(process.resourceUsage().maxRSS)));
