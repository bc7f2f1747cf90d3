using System.Text;
using System.Text.Json;
using CodeRaft.Admin.Features.Audit.Viewer;
using CodeRaft.Admin.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;

namespace CodeRaft.Admin.Features.Audit.Export;

public enum AuditExportFormat
{
    JsonLines,
    Csv,
}

/// <summary>
/// Streams entries in the export shape of CONTRACTS §4: one JSON object per line, keys exactly the column names,
/// <c>sequence</c> a number, everything else strings, in sequence order. CSV has the same columns, RFC 4180
/// quoting, and cells that a spreadsheet would run as a formula prefixed with a single quote.
/// Reads in keyset chunks so memory stays flat for any size.
/// </summary>
public sealed class AuditExporter(IDbContextFactory<AdminDbContext> contexts)
{
    public static readonly string[] EntryColumns =
    [
        "sequence", "timestamp", "product", "category", "action", "outcome", "actor_type", "actor_id", "actor_name",
        "source_ip", "target_type", "target_id", "details", "previous_hash", "hash",
    ];

    private const int Chunk = 2000;

    // Readable output (no \u0022 for quotes); files are not embedded in HTML, so HTML-safe escaping is not needed.
    private static readonly JsonWriterOptions JsonOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <returns>The number of entries written.</returns>
    public async Task<long> WriteEntriesAsync(Stream output, AuditExportFormat format, AuditFilter filter, long fromSequence = 1, CancellationToken cancellationToken = default)
    {
        long written = 0;
        var after = fromSequence - 1;
        await using var text = new StreamWriter(output, new UTF8Encoding(false), 64 * 1024, leaveOpen: true) { NewLine = "\n" };
        if (format == AuditExportFormat.Csv)
        {
            await text.WriteLineAsync(string.Join(',', EntryColumns));
        }

        while (true)
        {
            List<AuditEntry> chunk;
            await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
            {
                chunk = await AuditQueryService.Apply(db.AuditEntries.AsNoTracking(), filter)
                    .Where(e => e.Sequence > after).OrderBy(e => e.Sequence).Take(Chunk).ToListAsync(cancellationToken);
            }

            foreach (var entry in chunk)
            {
                await text.WriteLineAsync(format == AuditExportFormat.Csv ? ToCsv(entry) : ToJson(entry));
            }

            written += chunk.Count;
            if (chunk.Count < Chunk)
            {
                break;
            }

            after = chunk[^1].Sequence;
        }

        await text.FlushAsync(cancellationToken);
        return written;
    }

    /// <summary>
    /// Checkpoints as JSON Lines with the checkpoint columns (sequence, hash, timestamp, key_id, signature).
    /// Export them BEFORE the entries: the log is append-only, so every checkpoint read first names an entry that
    /// already exists, while one signed during a later entry read could point past the exported entries. All
    /// checkpoints are exported, also those beyond the last entry: they are the evidence of a truncated tail.
    /// </summary>
    public async Task<int> WriteCheckpointsAsync(Stream output, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var checkpoints = await db.AuditCheckpoints.AsNoTracking().OrderBy(c => c.Sequence).ThenBy(c => c.Timestamp).ToListAsync(cancellationToken);
        await using var text = new StreamWriter(output, new UTF8Encoding(false), 64 * 1024, leaveOpen: true) { NewLine = "\n" };
        foreach (var checkpoint in checkpoints)
        {
            await text.WriteLineAsync(ToJson(checkpoint));
        }

        await text.FlushAsync(cancellationToken);
        return checkpoints.Count;
    }

    public static string ToJson(AuditEntry e)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, JsonOptions))
        {
            json.WriteStartObject();
            json.WriteNumber("sequence", e.Sequence);
            json.WriteString("timestamp", e.Timestamp);
            json.WriteString("product", e.Product);
            json.WriteString("category", e.Category);
            json.WriteString("action", e.Action);
            json.WriteString("outcome", e.Outcome);
            json.WriteString("actor_type", e.ActorType);
            json.WriteString("actor_id", e.ActorId);
            json.WriteString("actor_name", e.ActorName);
            json.WriteString("source_ip", e.SourceIp);
            json.WriteString("target_type", e.TargetType);
            json.WriteString("target_id", e.TargetId);
            json.WriteString("details", e.Details);
            json.WriteString("previous_hash", e.PreviousHash);
            json.WriteString("hash", e.Hash);
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    public static string ToJson(AuditCheckpoint c)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, JsonOptions))
        {
            json.WriteStartObject();
            json.WriteNumber("sequence", c.Sequence);
            json.WriteString("hash", c.Hash);
            json.WriteString("timestamp", c.Timestamp);
            json.WriteString("key_id", c.KeyId);
            json.WriteString("signature", c.Signature);
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    public static string ToCsv(AuditEntry e) => string.Join(',',
        e.Sequence.ToString(System.Globalization.CultureInfo.InvariantCulture), Cell(e.Timestamp), Cell(e.Product), Cell(e.Category), Cell(e.Action),
        Cell(e.Outcome), Cell(e.ActorType), Cell(e.ActorId), Cell(e.ActorName), Cell(e.SourceIp), Cell(e.TargetType),
        Cell(e.TargetId), Cell(e.Details), Cell(e.PreviousHash), Cell(e.Hash));

    private static string Cell(string value)
    {
        // CSV injection: a cell starting with = + - @ (or tab/CR) would be evaluated by a spreadsheet.
        if (value.Length > 0 && value[0] is '=' or '+' or '-' or '@' or '\t' or '\r')
        {
            value = "'" + value;
        }

        return value.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? $"\"{value.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : value;
    }
}
