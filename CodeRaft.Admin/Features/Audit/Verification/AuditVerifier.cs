using System.Data.Common;
using System.Globalization;
using CodeRaft.Admin.Features.Audit.Chain;
using CodeRaft.Admin.Features.Audit.Checkpoints;
using CodeRaft.Admin.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;

namespace CodeRaft.Admin.Features.Audit.Verification;

public sealed record AuditVerificationResult(
    bool Ok,
    long EntriesChecked,
    long HeadSequence,
    string HeadHash,
    long? TamperedAt,
    string? Reason,
    int CheckpointsChecked,
    string? LatestCheckpointTimestamp,
    long StartedAfterSequence,
    IReadOnlyList<string> Warnings)
{
    /// <summary>When the run finished (the dashboard shows it).</summary>
    public DateTimeOffset CompletedAt { get; init; }

    /// <summary>The CLI's line: <c>OK &lt;count&gt; entries, head &lt;hash&gt;</c> or <c>TAMPERED at sequence &lt;n&gt;: &lt;reason&gt;</c>.</summary>
    public string Summary => Ok ? $"OK {HeadSequence} entries, head {HeadHash}" : $"TAMPERED at sequence {TamperedAt}: {Reason}";
}

/// <summary>
/// Verifies the audit chain and its signed checkpoints (docs/audit-chain.md, "Verifying"). Full verification
/// walks every entry from the genesis; incremental verification starts at the latest checkpoint that a previous
/// successful run covered, and checks its signature and that the entry there still carries the signed hash.
/// Reads with a forward-only reader: constant memory for any log size.
/// </summary>
public sealed class AuditVerifier(IDbContextFactory<AdminDbContext> contexts, AuditCheckpointSigner signer, TimeProvider time,
    Microsoft.Extensions.Options.IOptions<AuditOptions> options)
{
    private static readonly string[] _columns =
    [
        "sequence", "timestamp", "product", "category", "action", "outcome", "actor_type", "actor_id", "actor_name",
        "source_ip", "target_type", "target_id", "details", "previous_hash", "hash",
    ];

    /// <summary>The last result in this process, failed or not (the dashboard shows it).</summary>
    public AuditVerificationResult? LastResult { get; private set; }

    /// <summary>The last successful result; incremental runs start from the checkpoint it covered.</summary>
    public AuditVerificationResult? LastSuccessfulResult { get; private set; }

    public Task<AuditVerificationResult> VerifyAsync(IProgress<double>? progress = null, CancellationToken cancellationToken = default) =>
        RunAsync(incremental: false, progress, cancellationToken);

    public Task<AuditVerificationResult> VerifyIncrementalAsync(IProgress<double>? progress = null, CancellationToken cancellationToken = default) =>
        RunAsync(incremental: true, progress, cancellationToken);

    private async Task<AuditVerificationResult> RunAsync(bool incremental, IProgress<double>? progress, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var checkpoints = await db.AuditCheckpoints.AsNoTracking().OrderBy(c => c.Sequence).ThenBy(c => c.Timestamp).ToListAsync(cancellationToken);
        var result = new Walk(checkpoints);

        // 1. Every checkpoint must carry a valid signature of this installation's key.
        foreach (var checkpoint in checkpoints)
        {
            if (checkpoint.KeyId != signer.KeyId)
            {
                return Finish(result.Tampered(checkpoint.Sequence, $"checkpoint of {checkpoint.Timestamp} is signed by unknown key {checkpoint.KeyId}"));
            }

            if (!signer.Verify(checkpoint))
            {
                return Finish(result.Tampered(checkpoint.Sequence, $"checkpoint of {checkpoint.Timestamp} has an invalid signature (forged or altered)"));
            }
        }

        // 2. Where to start: the genesis, or (incremental) the latest checkpoint a previous good run covered.
        var start = incremental && LastSuccessfulResult is { } last
            ? checkpoints.LastOrDefault(c => c.Sequence <= last.HeadSequence && c.Sequence > 0)
            : null;
        long afterSequence = start?.Sequence ?? 0;
        var previousHash = start?.Hash ?? AuditHash.Genesis;
        if (start is not null)
        {
            var stored = await db.AuditEntries.AsNoTracking().Where(e => e.Sequence == start.Sequence).Select(e => e.Hash).FirstOrDefaultAsync(cancellationToken);
            if (stored != start.Hash)
            {
                return Finish(result.Tampered(start.Sequence, stored is null
                    ? "entry is missing although a signed checkpoint covers it (deleted)"
                    : "entry does not carry the hash of its signed checkpoint (modified)"));
            }
        }

        var head = await db.AuditEntries.AsNoTracking().MaxAsync(e => (long?)e.Sequence, cancellationToken) ?? 0;

        // Rows below 1 sit outside the chain: the walk below would never see them, the viewer would.
        var lowest = await db.AuditEntries.AsNoTracking().MinAsync(e => (long?)e.Sequence, cancellationToken);
        if (lowest < 1)
        {
            return Finish(result.Tampered(lowest.Value, $"an entry with sequence {lowest} lies outside the chain (inserted; sequences start at 1)"));
        }

        // 3. Walk the chain.
        var connection = db.Database.GetDbConnection();
        await connection.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {string.Join(", ", _columns)} FROM audit_entries WHERE sequence > @after ORDER BY sequence";
        var parameter = command.CreateParameter();
        parameter.ParameterName = "@after";
        parameter.Value = afterSequence;
        command.Parameters.Add(parameter);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);

        var expected = afterSequence + 1;
        var lastConfirmed = afterSequence; // the last sequence a matching signed checkpoint confirmed
        var entry = new AuditEntry();
        while (await reader.ReadAsync(cancellationToken))
        {
            if (!Read(reader, entry, out var nullColumn))
            {
                return Finish(result.Tampered(entry.Sequence, $"column {nullColumn} is NULL"));
            }

            if (entry.Sequence != expected)
            {
                return Finish(result.Tampered(expected, entry.Sequence > expected
                    ? $"entry missing (deleted): the log jumps from sequence {expected - 1} to {entry.Sequence}"
                    : $"entries out of order: found sequence {entry.Sequence} where {expected} was expected"));
            }

            if (entry.PreviousHash != previousHash)
            {
                return Finish(result.Tampered(entry.Sequence,
                    $"previous_hash does not match the hash of sequence {entry.Sequence - 1} (an entry was inserted, removed or reordered before it)"));
            }

            string computed;
            try
            {
                computed = AuditHash.Compute(entry);
            }
            catch (FormatException)
            {
                return Finish(result.Tampered(entry.Sequence, "previous_hash is not 64 hexadecimal characters"));
            }

            if (computed != entry.Hash)
            {
                return Finish(result.Tampered(entry.Sequence, "content does not match its hash (modified)"));
            }

            if (!IsTimestamp(entry.Timestamp))
            {
                return Finish(result.Tampered(entry.Sequence, "timestamp is not in the format yyyy-MM-ddTHH:mm:ss.fffZ"));
            }

            if (result.CheckpointHashes.TryGetValue(entry.Sequence, out var signedHashes))
            {
                if (signedHashes.Any(h => h != entry.Hash))
                {
                    // The chain is consistent, so hashes were recomputed after a change; only the signature contradicts it.
                    return Finish(result.Tampered(entry.Sequence,
                        $"entry does not carry the hash of its signed checkpoint: an entry between {lastConfirmed + 1} and {entry.Sequence} was changed and the later hashes recomputed"));
                }

                lastConfirmed = entry.Sequence;
            }

            previousHash = entry.Hash;
            result.EntriesChecked++;
            expected++;
            if (progress is not null && (expected & 0x3FFF) == 0)
            {
                progress.Report(head == 0 ? 1 : (double)(expected - afterSequence) / Math.Max(1, head - afterSequence));
            }
        }

        var lastSequence = expected - 1;

        // 4. A signed checkpoint beyond the end means the tail was cut off.
        var beyond = checkpoints.LastOrDefault(c => c.Sequence > lastSequence);
        if (beyond is not null)
        {
            return Finish(result.Tampered(lastSequence + 1,
                $"log truncated: a checkpoint signed at {beyond.Timestamp} covers sequence {beyond.Sequence}, but the log ends at {lastSequence}"));
        }

        // 5. Every 1,000th entry is checkpointed in its own transaction: a missing one was deleted.
        for (var required = 1000L; required <= lastSequence; required += 1000)
        {
            if (!result.CheckpointHashes.ContainsKey(required))
            {
                return Finish(result.Tampered(required, "the signed checkpoint written with this entry is missing (deleted)"));
            }
        }

        progress?.Report(1);
        var warnings = new List<string>();
        var latest = checkpoints.LastOrDefault();
        var unanchored = lastSequence - (latest?.Sequence ?? 0);
        if (unanchored > 0)
        {
            warnings.Add($"{unanchored} entries after the latest signed checkpoint are protected by the hash chain only.");
        }

        if (latest is null || (DateTimeOffset.TryParse(latest.Timestamp, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
                && time.GetUtcNow() - at > 2 * options.Value.CheckpointInterval))
        {
            warnings.Add(latest is null
                ? "There is no signed checkpoint yet."
                : $"The latest signed checkpoint is from {latest.Timestamp}; checkpoints are expected every {options.Value.CheckpointInterval.TotalMinutes:0.#} minutes while the portal runs (was it stopped, or was the tail removed?).");
        }

        return Finish(new AuditVerificationResult(true, result.EntriesChecked, lastSequence, lastSequence == 0 ? AuditHash.Genesis : previousHash,
            null, null, checkpoints.Count, latest?.Timestamp, afterSequence, warnings));

        AuditVerificationResult Finish(AuditVerificationResult outcome)
        {
            outcome = outcome with { CompletedAt = time.GetUtcNow() };
            LastResult = outcome;
            if (outcome.Ok)
            {
                LastSuccessfulResult = outcome;
            }

            return outcome;
        }
    }

    private static bool Read(DbDataReader reader, AuditEntry entry, out string? nullColumn)
    {
        nullColumn = null;
        try
        {
            ReadColumns(reader, entry);
            return true;
        }
        catch (Exception ex) when (ex is InvalidCastException or InvalidOperationException or System.Data.SqlTypes.SqlNullValueException)
        {
            // Only a NULL makes a typed read fail (the columns are NOT NULL by schema): name it.
            nullColumn = Enumerable.Range(0, _columns.Length).Where(reader.IsDBNull).Select(i => _columns[i]).FirstOrDefault();
            if (nullColumn is null)
            {
                throw;
            }

            return false;
        }
    }

    private static void ReadColumns(DbDataReader reader, AuditEntry entry)
    {
        entry.Sequence = reader.GetInt64(0);
        entry.Timestamp = reader.GetString(1);
        entry.Product = reader.GetString(2);
        entry.Category = reader.GetString(3);
        entry.Action = reader.GetString(4);
        entry.Outcome = reader.GetString(5);
        entry.ActorType = reader.GetString(6);
        entry.ActorId = reader.GetString(7);
        entry.ActorName = reader.GetString(8);
        entry.SourceIp = reader.GetString(9);
        entry.TargetType = reader.GetString(10);
        entry.TargetId = reader.GetString(11);
        entry.Details = reader.GetString(12);
        entry.PreviousHash = reader.GetString(13);
        entry.Hash = reader.GetString(14);
    }

    /// <summary>yyyy-MM-ddTHH:mm:ss.fffZ, checked character by character (a parse per entry costs more than its hash).</summary>
    private static bool IsTimestamp(string v)
    {
        if (v.Length != 24 || v[4] != '-' || v[7] != '-' || v[10] != 'T' || v[13] != ':' || v[16] != ':' || v[19] != '.' || v[23] != 'Z')
        {
            return false;
        }

        foreach (var i in (ReadOnlySpan<int>)[0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18, 20, 21, 22])
        {
            if (!char.IsAsciiDigit(v[i]))
            {
                return false;
            }
        }

        static int Two(string s, int at) => ((s[at] - '0') * 10) + (s[at + 1] - '0');
        return Two(v, 5) is >= 1 and <= 12 && Two(v, 8) is >= 1 and <= 31 && Two(v, 11) < 24 && Two(v, 14) < 60 && Two(v, 17) < 60;
    }

    private sealed class Walk(List<AuditCheckpoint> checkpoints)
    {
        public Dictionary<long, List<string>> CheckpointHashes { get; } = checkpoints
            .GroupBy(c => c.Sequence).ToDictionary(g => g.Key, g => g.Select(c => c.Hash).ToList());

        public long EntriesChecked { get; set; }

        public AuditVerificationResult Tampered(long sequence, string reason) =>
            new(false, EntriesChecked, 0, "", sequence, reason, checkpoints.Count, checkpoints.LastOrDefault()?.Timestamp, 0, []);
    }
}
