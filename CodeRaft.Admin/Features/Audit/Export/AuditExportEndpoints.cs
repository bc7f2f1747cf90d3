using System.Globalization;
using System.Text.Json.Nodes;
using CodeRaft.Admin.Features.Audit.Chain;
using CodeRaft.Admin.Features.Audit.Viewer;

namespace CodeRaft.Admin.Features.Audit.Export;

/// <summary>
/// <c>GET /audit/export/{ticket}</c>: streams the entries a ticket from <see cref="AuditExportTickets"/> was
/// issued for, as a file download, then records the export in the audit log. There is no other way in: an
/// unknown, used or expired ticket gets a 404 problem, whatever the caller sends.
/// </summary>
public static class AuditExportEndpoints
{
    public const string RoutePrefix = "/audit/export/";

    public static IEndpointRouteBuilder MapAuditExport(this IEndpointRouteBuilder endpoints)
    {
        // The ticket proves the step-up in the circuit; the role is checked again on the download itself.
        endpoints.MapGet(RoutePrefix + "{ticket}", Export).ExcludeFromDescription()
            .RequireAuthorization(CodeRaft.Admin.Security.Authorization.AdminPolicies.AuditExport);
        return endpoints;
    }

    /// <summary>The relative URL that redeems <paramref name="ticket"/>.</summary>
    public static string UrlFor(string ticket) => RoutePrefix.TrimStart('/') + Uri.EscapeDataString(ticket);

    public static string FileName(AuditExportFormat format, DateTimeOffset now) =>
        $"coderaft-audit-{now.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture)}.{Extension(format)}";

    private static async Task<IResult> Export(string ticket, HttpContext context, AuditExportTickets tickets, AuditExporter exporter,
        AuditWriter writer, TimeProvider time, ILogger<AuditExporter> logger)
    {
        if (tickets.Redeem(ticket) is not { } redeemed)
        {
            return TypedResults.Problem(
                statusCode: StatusCodes.Status404NotFound,
                title: "Export link not found",
                detail: "This export link is unknown, expired or already used. Start the export again from the audit log.");
        }

        // The file holds the audit log: no cache (browser or proxy) may keep a copy.
        context.Response.Headers.CacheControl = "no-store";
        var sourceIp = context.Connection.RemoteIpAddress?.ToString() ?? "";

        // Fail closed: no byte of the log leaves before the export itself is on record.
        try
        {
            await writer.AppendAsync(new AuditEvent
            {
                Category = "audit",
                Action = "audit.export_started",
                Actor = AuditActor.System,
                SourceIp = sourceIp,
                Details = AuditDetails.Of(("format", Extension(redeemed.Format)), ("filter", Describe(redeemed.Filter))),
            }, context.RequestAborted);
        }
        catch (AuditWriteException)
        {
            return TypedResults.Problem(
                statusCode: StatusCodes.Status503ServiceUnavailable,
                title: "Export not started",
                detail: "The export was not started because it could not be recorded in the audit log. Try again later.");
        }

        return TypedResults.Stream(async body =>
        {
            long count;
            try
            {
                count = await exporter.WriteEntriesAsync(body, redeemed.Format, redeemed.Filter, cancellationToken: context.RequestAborted);
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException)
            {
                // The browser went away mid-download: the attempt is still recorded, as a failure.
                await RecordAsync(writer, logger, redeemed, sourceIp, AuditVocabulary.Failure, count: null);
                return;
            }

            await RecordAsync(writer, logger, redeemed, sourceIp, AuditVocabulary.Success, count);
        }, ContentType(redeemed.Format), FileName(redeemed.Format, time.GetUtcNow()));
    }

    private static async Task RecordAsync(AuditWriter writer, ILogger logger, AuditExportTicket ticket, string sourceIp, string outcome, long? count)
    {
        try
        {
            await writer.AppendAsync(new AuditEvent
            {
                Category = "audit",
                Action = "audit.exported",
                Outcome = outcome,
                Actor = AuditActor.System, // until sign-in exists; the user then comes with the ticket
                SourceIp = sourceIp,
                Details = AuditDetails.Of(
                    ("format", Extension(ticket.Format)),
                    ("filter", Describe(ticket.Filter)),
                    ("count", count)),
            });
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The file has been sent already; what is left to do is to make the missing entry visible.
            logger.LogError(ex, "The audit export was sent but could not be recorded in the audit log");
        }
    }

    /// <summary>The filter as recorded in the export's audit entry: the fields that were set, in the log's terms.</summary>
    private static JsonObject Describe(AuditFilter filter)
    {
        var described = new JsonObject();
        Add("from", filter.From is { } from ? AuditHash.FormatTimestamp(from) : null);
        Add("to", filter.To is { } to ? AuditHash.FormatTimestamp(to) : null);
        Add("product", filter.Product);
        Add("category", filter.Category);
        Add("action", filter.Action);
        Add("outcome", filter.Outcome);
        Add("actor", filter.Actor);
        Add("target", filter.Target);
        Add("text", filter.Text);
        return described;

        void Add(string key, string? value)
        {
            if (value is not null)
            {
                described[key] = value;
            }
        }
    }

    private static string Extension(AuditExportFormat format) => format == AuditExportFormat.Csv ? "csv" : "jsonl";

    private static string ContentType(AuditExportFormat format) =>
        format == AuditExportFormat.Csv ? "text/csv; charset=utf-8" : "application/x-ndjson; charset=utf-8";
}
