using System.Globalization;
using System.Security.Claims;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using CodeRaft.Admin.Features.Audit;
using CodeRaft.Admin.Features.Audit.Chain;
using CodeRaft.Admin.Features.Audit.Export;
using CodeRaft.Admin.Infrastructure.Data;
using FluentValidation;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace CodeRaft.Admin.Features.ApiKeys.Api;

/// <summary>
/// Audit ingest, audit read and the latest checkpoint (CONTRACTS §6; docs/api.md). Ingest goes through the audit
/// writer's batched path and answers 201 only after the commit is durable (SQLite synchronous=FULL; PostgreSQL's
/// commit); reads answer in the export shape of CONTRACTS §4, produced by <see cref="AuditExporter"/> itself.
/// </summary>
public static class ApiAuditEndpoints
{
    public const int DefaultPageSize = 100;
    public const int MaxPageSize = 1000;

    public static RouteGroupBuilder MapApiAudit(this RouteGroupBuilder api)
    {
        api.MapPost("/audit/events", IngestAsync)
            .RequireAuthorization(ApiPolicies.AuditWrite)
            .WithMetadata(new RequestBodyLimit(AuditIngestParser.MaxBodyBytes))
            .Accepts<List<ApiIngestEvent>>("application/json")
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .WithName("IngestAuditEvents").WithTags("Audit")
            .WithSummary("Appends 1 to 1000 events to the audit chain; 201 only after they are durably committed.");

        api.MapGet("/audit/events", ReadAsync)
            .RequireAuthorization(ApiPolicies.AuditRead)
            .Produces<ApiAuditPage>(StatusCodes.Status200OK)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .AddOpenApiOperationTransformer((operation, _, _) =>
            {
                // Bound as text so that a bad value gets this API's own 400 sentence; documented as the numbers they are.
                foreach (var parameter in (operation.Parameters ?? []).OfType<Microsoft.OpenApi.OpenApiParameter>())
                {
                    var isLimit = parameter.Name == "limit";
                    parameter.Description = isLimit
                        ? $"Entries per page, 1 to {MaxPageSize} (default {DefaultPageSize})."
                        : "Return entries with a sequence greater than this (default 0). Pass the previous page's 'next'.";
                    parameter.Schema = new Microsoft.OpenApi.OpenApiSchema
                    {
                        Type = Microsoft.OpenApi.JsonSchemaType.Integer,
                        Format = "int64",
                        Minimum = isLimit ? "1" : "0",
                        Maximum = isLimit ? MaxPageSize.ToString(CultureInfo.InvariantCulture) : null,
                        Default = System.Text.Json.Nodes.JsonValue.Create(isLimit ? DefaultPageSize : 0),
                    };
                }

                return Task.CompletedTask;
            })
            .WithName("ReadAuditEvents").WithTags("Audit")
            .WithSummary("Entries after a sequence, in the export shape (keyset paging: pass 'next' as 'after').");

        api.MapGet("/audit/checkpoints/latest", LatestCheckpointAsync)
            .RequireAuthorization(ApiPolicies.AuditRead)
            .Produces<ApiCheckpoint>(StatusCodes.Status200OK)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithName("LatestAuditCheckpoint").WithTags("Audit")
            .WithSummary("The most recent signed checkpoint of the chain.");
        return api;
    }

    internal static async Task<Results<Created<ApiIngestResult>, ValidationProblem, ProblemHttpResult>> IngestAsync(
        HttpContext http, ClaimsPrincipal user, AuditWriter writer, ILoggerFactory loggers)
    {
        var request = http.Request;
        if (!IsJson(request.ContentType))
        {
            return ApiProblems.Problem(StatusCodes.Status415UnsupportedMediaType,
                "Send the events as a JSON array with 'Content-Type: application/json'.");
        }

        var body = await ReadBodyAsync(request, AuditIngestParser.MaxBodyBytes, http.RequestAborted);
        if (body is null)
        {
            return ApiProblems.Problem(StatusCodes.Status413PayloadTooLarge, string.Create(CultureInfo.InvariantCulture,
                $"The body is larger than {AuditIngestParser.MaxBodyBytes} bytes (4 MiB); send fewer events per request."));
        }

        var parsed = AuditIngestParser.Parse(body.Value, user.FindFirstValue(ApiKeyClaims.Identifier) ?? "",
            Security.Authentication.SignInThrottling.SourceKey(http.Connection.RemoteIpAddress)); // IPv4-mapped as IPv4, like every other control
        if (!parsed.IsValid)
        {
            return ApiProblems.Invalid(parsed.Detail!, parsed.Errors);
        }

        IReadOnlyList<AuditEntry> entries;
        try
        {
            // Not the request's token: once queued, the events commit whether or not the client still listens, and
            // a cancelled wait would only hide that. The client learns the outcome by reading the log.
            entries = await writer.AppendBatchAsync(parsed.Events, CancellationToken.None);
        }
        catch (ValidationException ex)
        {
            // The writer checks every event before it writes any (nothing was written); name the offending fields.
            var invalid = AuditIngestParser.Validate(parsed.Events);
            return invalid.IsValid
                ? ApiProblems.Problem(StatusCodes.Status400BadRequest, ex.Errors.FirstOrDefault()?.ErrorMessage ?? "An event is invalid.")
                : ApiProblems.Invalid(invalid.Detail!, invalid.Errors);
        }
        catch (Exception ex) when (ex is AuditWriteException or System.Data.Common.DbException)
        {
            // Fail closed (a full disk, a lost PostgreSQL connection, a lock held too long): nothing was written.
            loggers.CreateLogger(typeof(ApiAuditEndpoints)).LogError(ex, "Audit ingest of {Count} events failed; nothing was written", parsed.Events.Count);
            return ApiProblems.Problem(StatusCodes.Status503ServiceUnavailable, "The audit log could not be written; nothing was recorded. Retry later.");
        }

        var sequences = entries.Select(e => e.Sequence).ToList();
        var location = string.Create(CultureInfo.InvariantCulture, $"/api/v1/audit/events?after={sequences[0] - 1}&limit={sequences.Count}");
        return TypedResults.Created(location, new ApiIngestResult(sequences.Count, sequences));
    }

    internal static async Task<IResult> ReadAsync(HttpContext http, IDbContextFactory<AdminDbContext> contexts, string? after, string? limit)
    {
        if (!TryParse(after, 0, long.MaxValue, 0, out var afterSequence))
        {
            return ApiProblems.Problem(StatusCodes.Status400BadRequest, "'after' must be a whole number of 0 or more (a sequence; 0 starts at the beginning).");
        }

        if (!TryParse(limit, 1, MaxPageSize, DefaultPageSize, out var take))
        {
            return ApiProblems.Problem(StatusCodes.Status400BadRequest,
                string.Create(CultureInfo.InvariantCulture, $"'limit' must be a whole number from 1 to {MaxPageSize} (default {DefaultPageSize})."));
        }

        List<AuditEntry> page;
        await using (var db = await contexts.CreateDbContextAsync(http.RequestAborted))
        {
            page = await db.AuditEntries.AsNoTracking().Where(e => e.Sequence > afterSequence).OrderBy(e => e.Sequence)
                .Take((int)take + 1).ToListAsync(http.RequestAborted);
        }

        var more = page.Count > take;
        if (more)
        {
            page.RemoveAt(page.Count - 1);
        }

        // The entries are the exporter's own lines, so the API and an export can never disagree on the shape.
        var json = new StringBuilder(256 + (page.Count * 600));
        json.Append("{\"entries\":[");
        for (var i = 0; i < page.Count; i++)
        {
            json.Append(i == 0 ? "" : ",").Append(AuditExporter.ToJson(page[i]));
        }

        var next = page.Count > 0 ? page[^1].Sequence : afterSequence;
        json.Append(CultureInfo.InvariantCulture, $"],\"next\":{next},\"more\":{(more ? "true" : "false")}}}");
        return TypedResults.Text(json.ToString(), "application/json", Encoding.UTF8);
    }

    internal static async Task<IResult> LatestCheckpointAsync(HttpContext http, IDbContextFactory<AdminDbContext> contexts)
    {
        await using var db = await contexts.CreateDbContextAsync(http.RequestAborted);
        var latest = await db.AuditCheckpoints.AsNoTracking().OrderByDescending(c => c.Sequence).ThenByDescending(c => c.Timestamp)
            .FirstOrDefaultAsync(http.RequestAborted);
        return latest is null
            ? ApiProblems.Problem(StatusCodes.Status404NotFound, "No checkpoint has been signed yet.")
            : TypedResults.Text(AuditExporter.ToJson(latest), "application/json", Encoding.UTF8);
    }

    private static bool IsJson(string? contentType) =>
        Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParse(contentType, out var media) &&
        media.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase) &&
        (media.Charset.Length == 0 || media.Charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase));

    private static bool TryParse(string? text, long min, long max, long fallback, out long value)
    {
        if (text is null)
        {
            value = fallback;
            return true;
        }

        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value >= min && value <= max;
    }

    /// <summary>The whole body, or null when it is larger than <paramref name="limit"/> (declared or as read).</summary>
    private static async Task<ReadOnlyMemory<byte>?> ReadBodyAsync(HttpRequest request, long limit, CancellationToken cancellationToken)
    {
        if (request.ContentLength > limit)
        {
            return null;
        }

        using var buffer = new MemoryStream(request.ContentLength is { } length ? (int)length : 64 * 1024);
        var chunk = new byte[64 * 1024];
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
            {
                if (buffer.Length + read > limit)
                {
                    return null;
                }

                buffer.Write(chunk, 0, read);
            }
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return null; // Kestrel cut a chunked body off at the endpoint's limit
        }

        return buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
    }
}

/// <summary>One event as a product sends it (CONTRACTS §6). Documents the body; the parser checks it field by field.</summary>
public sealed record ApiIngestEvent
{
    /// <summary>entraguard, ravenscan or redfox-bastion.</summary>
    public required string Product { get; init; }
    public required string Category { get; init; }
    public required string Action { get; init; }
    /// <summary>success, failure or denied.</summary>
    public required string Outcome { get; init; }
    /// <summary>user, apikey, cli, system or anonymous.</summary>
    public required string ActorType { get; init; }
    public string? ActorId { get; init; }
    public string? ActorName { get; init; }
    public string? SourceIp { get; init; }
    public string? TargetType { get; init; }
    public string? TargetId { get; init; }
    public JsonObject? Details { get; init; }
}

/// <summary>The sequences the chain assigned to the request's events, in the request's order.</summary>
public sealed record ApiIngestResult(int Count, IReadOnlyList<long> Sequences);

/// <summary>A page of entries. <see cref="Next"/> is the 'after' of the next page; <see cref="More"/> says whether one is already waiting.</summary>
public sealed record ApiAuditPage(IReadOnlyList<ApiAuditEntry> Entries, long Next, bool More);

/// <summary>An entry in the export shape of CONTRACTS §4 (the column names of §3).</summary>
public sealed record ApiAuditEntry(
    [property: JsonPropertyName("sequence")] long Sequence,
    [property: JsonPropertyName("timestamp")] string Timestamp,
    [property: JsonPropertyName("product")] string Product,
    [property: JsonPropertyName("category")] string Category,
    [property: JsonPropertyName("action")] string Action,
    [property: JsonPropertyName("outcome")] string Outcome,
    [property: JsonPropertyName("actor_type")] string ActorType,
    [property: JsonPropertyName("actor_id")] string ActorId,
    [property: JsonPropertyName("actor_name")] string ActorName,
    [property: JsonPropertyName("source_ip")] string SourceIp,
    [property: JsonPropertyName("target_type")] string TargetType,
    [property: JsonPropertyName("target_id")] string TargetId,
    [property: JsonPropertyName("details")] string Details,
    [property: JsonPropertyName("previous_hash")] string PreviousHash,
    [property: JsonPropertyName("hash")] string Hash);

/// <summary>A signed checkpoint with the checkpoint columns of CONTRACTS §3.</summary>
public sealed record ApiCheckpoint(
    [property: JsonPropertyName("sequence")] long Sequence,
    [property: JsonPropertyName("hash")] string Hash,
    [property: JsonPropertyName("timestamp")] string Timestamp,
    [property: JsonPropertyName("key_id")] string KeyId,
    [property: JsonPropertyName("signature")] string Signature);
