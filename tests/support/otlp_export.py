"""Sends MCP spans (and audit log records) to Pulse with the OpenTelemetry Python SDK's own
OTLP exporters, as a gateway instrumented with it would. Used by tests/api/otlp.rs.

    otlp_export.py --protocol http|grpc --endpoint URL --token T --tool NAME --count N
                   [--errors E] [--role ROLE] [--logs L] [--nested] [--auth A]

Exits 0 only if every export was acknowledged (the SDK reports SUCCESS).
"""

import argparse
import sys
import time

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExportResult
from opentelemetry.trace import SpanKind, Status, StatusCode


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--protocol", choices=["http", "grpc"], required=True)
    p.add_argument("--endpoint", required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--tool", required=True)
    p.add_argument("--server", default="py-gateway")
    p.add_argument("--count", type=int, default=1)
    p.add_argument("--errors", type=int, default=0)
    p.add_argument("--role", default="")
    p.add_argument("--logs", type=int, default=0)
    p.add_argument("--nested", action="store_true")
    p.add_argument("--auth", type=int, default=0, help="auth spans: OAuth flows and failed MFA challenges, alternating")
    p.add_argument("--metrics", type=int, default=0, help="durations recorded in mcp.server.operation.duration")
    a = p.parse_args()
    headers = {"authorization": f"Bearer {a.token}"}

    if a.protocol == "http":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter

        spans = OTLPSpanExporter(endpoint=f"{a.endpoint}/v1/traces", headers=headers, timeout=10)
        logs = OTLPLogExporter(endpoint=f"{a.endpoint}/v1/logs", headers=headers, timeout=10)
    else:
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
        from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter

        spans = OTLPSpanExporter(endpoint=a.endpoint, headers=headers, insecure=True, timeout=10)
        logs = OTLPLogExporter(endpoint=a.endpoint, headers=headers, insecure=True, timeout=10)

    # Record what the exporter reports: the SDK swallows failures otherwise.
    failures = []
    export = spans.export

    def checked(batch):
        result = export(batch)
        if result != SpanExportResult.SUCCESS:
            failures.append(result)
        return result

    spans.export = checked
    provider = TracerProvider(resource=Resource.create({"service.name": a.server}))
    # The SDK default: spans of one operation usually leave in one export.
    provider.add_span_processor(BatchSpanProcessor(spans))
    tracer = provider.get_tracer("pulse-test")
    for i in range(a.count):
        attrs = {
            "mcp.method.name": "tools/call",
            "gen_ai.tool.name": a.tool,
            "mcp.session.id": "session-1",
            "enduser.id": f"user-{i % 3}",
            "client.address": "198.51.100.7",
        }
        if a.role:
            attrs["enduser.role"] = a.role
        with tracer.start_as_current_span(
            f"tools/call {a.tool}", kind=SpanKind.SERVER, attributes=attrs
        ) as span:
            if a.nested:
                # A gateway's call to the server behind it: the same operation, one level down.
                with tracer.start_as_current_span(
                    f"tools/call {a.tool}", kind=SpanKind.CLIENT, attributes=attrs
                ):
                    pass
            # A span that is not an MCP operation: counted and skipped by Pulse.
            with tracer.start_as_current_span("SELECT tools", kind=SpanKind.CLIENT):
                pass
            if i < a.errors:
                span.set_attribute("error.type", "tool_error")
                span.set_status(Status(StatusCode.ERROR, "tool failed"))
    # A gateway's authentication steps, as spans named like the audit action.
    for i in range(a.auth):
        user = {"enduser.id": f"auth-user-{i}", "enduser.role": "developer"}
        if i % 2 == 0:
            attrs = {**user, "auth.provider": "azure_ad", "auth.flow_type": "pkce"}
            with tracer.start_as_current_span("auth.oauth_flow", kind=SpanKind.SERVER, attributes=attrs):
                time.sleep(0.02)
        else:
            attrs = {**user, "auth.provider": "github", "auth.mfa.method": "totp"}
            with tracer.start_as_current_span("auth.mfa_challenge", kind=SpanKind.SERVER, attributes=attrs) as span:
                span.set_status(Status(StatusCode.ERROR, "wrong code"))
    provider.shutdown()

    if a.logs:
        from opentelemetry._logs import SeverityNumber
        from opentelemetry.sdk._logs import LoggerProvider
        from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor

        lp = LoggerProvider(resource=Resource.create({"service.name": a.server}))
        lp.add_log_record_processor(SimpleLogRecordProcessor(logs))
        logger = lp.get_logger("pulse-test-audit")
        for i in range(a.logs):
            logger.emit(
                severity_number=SeverityNumber.INFO,
                body="audit",
                attributes={
                    "audit.action": "role.change.oauth_sync",
                    "enduser.id": f"oauth-user-{i}",
                    "enduser.role": "viewer",
                    "audit.outcome": "success",
                    "session.id": f"s-{i}",
                    "audit.details": '{"from": "viewer", "to": "analyst"}',
                },
            )
        lp.shutdown()

    if a.metrics:
        from opentelemetry.sdk.metrics import MeterProvider
        from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader

        if a.protocol == "http":
            from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter

            metrics = OTLPMetricExporter(endpoint=f"{a.endpoint}/v1/metrics", headers=headers, timeout=10)
        else:
            from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter

            metrics = OTLPMetricExporter(endpoint=a.endpoint, headers=headers, insecure=True, timeout=10)
        reader = PeriodicExportingMetricReader(metrics, export_interval_millis=60_000)
        mp = MeterProvider(resource=Resource.create({"service.name": a.server}), metric_readers=[reader])
        # The MCP conventions' histogram, with the bucket boundaries they advise (seconds).
        hist = mp.get_meter("pulse-test").create_histogram(
            "mcp.server.operation.duration",
            unit="s",
            explicit_bucket_boundaries_advisory=[0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300],
        )
        for i in range(a.metrics):
            attrs = {"mcp.method.name": "tools/call", "gen_ai.tool.name": a.tool}
            if i < a.errors:
                attrs["error.type"] = "tool_error"
            hist.record(0.03 if i % 2 else 0.3, attributes=attrs)
        # Cumulative (the SDK's default): a second export carries the same series' new total.
        reader.force_flush()
        hist.record(0.03, attributes={"mcp.method.name": "tools/call", "gen_ai.tool.name": a.tool})
        mp.shutdown()

    if failures:
        print(f"exports failed: {failures}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
