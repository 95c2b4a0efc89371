// Sends MCP spans to Pulse as OTLP/JSON with the OpenTelemetry JS SDK's HTTP exporter (JSON is
// its default encoding), as a Node gateway instrumented with it would. Used by tests/api/otlp.rs.
//
//   node otlp_json_export.cjs <endpoint> <token> <tool> <count>
//
// Exits 0 only if the export was acknowledged.
const { BasicTracerProvider, SimpleSpanProcessor } = require('@opentelemetry/sdk-trace-base');
const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http');
const { resourceFromAttributes } = require('@opentelemetry/resources');
const { SpanKind, SpanStatusCode } = require('@opentelemetry/api');

async function main() {
  const [endpoint, token, tool, count] = process.argv.slice(2);
  const exporter = new OTLPTraceExporter({
    url: `${endpoint}/v1/traces`,
    headers: { authorization: `Bearer ${token}` },
    timeoutMillis: 10000,
  });
  // The SDK logs failures and goes on; this records them so the test sees them.
  const failures = [];
  const exportOne = exporter.export.bind(exporter);
  exporter.export = (spans, done) =>
    exportOne(spans, (result) => {
      if (result.code !== 0) failures.push(String(result.error));
      done(result);
    });
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'js-gateway' }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('pulse-test');
  for (let i = 0; i < Number(count); i++) {
    const span = tracer.startSpan(`tools/call ${tool}`, {
      kind: SpanKind.SERVER,
      attributes: {
        'mcp.method.name': 'tools/call',
        'gen_ai.tool.name': tool,
        'enduser.id': `js-user-${i}`,
        'enduser.role': 'developer',
        // An int attribute: OTLP/JSON writes int64 as a string.
        'http.response.status_code': i === 0 ? 502 : 200,
      },
    });
    if (i === 0) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  }
  await provider.forceFlush();
  await provider.shutdown();
  if (failures.length) {
    console.error(`exports failed: ${failures.join('; ')}`);
    process.exit(1);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
