using CodeRaft.Admin.Features.Audit;
using CodeRaft.Admin.Tests.TestSupport;

namespace CodeRaft.Admin.Tests.Features.Audit.Verification;

/// <summary>
/// A database administrator tampers with a real SQLite audit log (2,500 entries, signed checkpoints at 1000 and
/// 2000) through the sqlite3 shell, after dropping the append-only triggers; then <c>audit verify</c> of the real
/// binary must name the place. Every verdict is cross-checked against tools/verify-audit-chain.py on an export of
/// the same tampered database. The last cases pin down what the chain cannot detect (docs/audit-chain.md, threat model).
/// </summary>
public sealed class AuditTamperingTests(SeededAuditLog log) : IClassFixture<SeededAuditLog>
{
    private const string Unanchored500 = "warning: 500 entries after the latest signed checkpoint are protected by the hash chain only.";

    [Fact]
    public async Task Verify_Untouched_OkWithCountAndHead()
    {
        using var work = log.NewCase();

        var result = await VerifyAfterAsync(work, "");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal($"OK {SeededAuditLog.EntryCount} entries, head {log.HeadHash}", Line(result));
        Assert.Contains(Unanchored500, result.ErrorLines);
    }

    [Theory]
    [InlineData("UPDATE audit_entries SET action = 'x' WHERE sequence = 1")]
    [InlineData("DELETE FROM audit_entries WHERE sequence = 2500")]
    [InlineData("UPDATE audit_checkpoints SET hash = '' WHERE sequence = 1000")]
    [InlineData("DELETE FROM audit_checkpoints")]
    public async Task Sqlite_UpdateOrDeleteWithTriggersInPlace_RefusedAppendOnly(string sql)
    {
        using var work = log.NewCase();

        var result = await Tool.RunAsync("sqlite3", [work.DatabasePath, sql]);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("audit log is append-only", result.StandardError, StringComparison.Ordinal);
        Assert.Equal(SeededAuditLog.EntryCount, work.ReadEntries().Count);
    }

    [Fact]
    public async Task Verify_EntryModified_TamperedAtThatEntry()
    {
        using var work = log.NewCase();

        var result = await VerifyAfterAsync(work, AuditCase.DropTriggers + "UPDATE audit_entries SET actor_name = 'mallory' WHERE sequence = 1500;");

        AssertTampered(result, "TAMPERED at sequence 1500: content does not match its hash (modified)");
    }

    [Fact]
    public async Task Verify_EntryDeleted_TamperedAtTheGap()
    {
        using var work = log.NewCase();

        var result = await VerifyAfterAsync(work, AuditCase.DropTriggers + "DELETE FROM audit_entries WHERE sequence = 1500;");

        AssertTampered(result, "TAMPERED at sequence 1500: entry missing (deleted): the log jumps from sequence 1499 to 1501");
    }

    [Fact]
    public async Task Verify_ForgedEntryWithWrongPreviousHash_TamperedAtIt()
    {
        using var work = log.NewCase();

        // The append-at-head trigger refuses this row, so the DBA drops the triggers first.
        var result = await VerifyAfterAsync(work, AuditCase.DropTriggers + """
            INSERT INTO audit_entries SELECT 2501, timestamp, product, category, 'user.deleted', outcome, actor_type, actor_id,
                actor_name, source_ip, target_type, target_id, details, previous_hash, hash FROM audit_entries WHERE sequence = 2500;
            """);

        AssertTampered(result, "TAMPERED at sequence 2501: previous_hash does not match the hash of sequence 2500 (an entry was inserted, removed or reordered before it)");
    }

    [Fact]
    public async Task Verify_ForgedEntryWithWrongHash_TamperedAtIt()
    {
        using var work = log.NewCase();

        var result = await VerifyAfterAsync(work, AuditCase.DropTriggers + """
            INSERT INTO audit_entries SELECT 2501, timestamp, product, category, 'user.deleted', outcome, actor_type, actor_id,
                actor_name, source_ip, target_type, target_id, details, hash, hash FROM audit_entries WHERE sequence = 2500;
            """);

        AssertTampered(result, "TAMPERED at sequence 2501: content does not match its hash (modified)");
    }

    [Fact]
    public async Task Verify_TwoEntriesSwapped_TamperedAtTheFirst()
    {
        using var work = log.NewCase();

        var result = await VerifyAfterAsync(work, AuditCase.DropTriggers + """
            UPDATE audit_entries SET sequence = -1 WHERE sequence = 1500;
            UPDATE audit_entries SET sequence = 1500 WHERE sequence = 1501;
            UPDATE audit_entries SET sequence = 1501 WHERE sequence = -1;
            """);

        AssertTampered(result, "TAMPERED at sequence 1500: previous_hash does not match the hash of sequence 1499 (an entry was inserted, removed or reordered before it)");
    }

    [Fact]
    public async Task Verify_TailTruncatedBehindSignedCheckpoint_TamperedAtTheCheckpoint()
    {
        using var work = log.NewCase();

        var result = await VerifyAfterAsync(work, AuditCase.DropTriggers + "DELETE FROM audit_entries WHERE sequence > 1999;");

        AssertTampered(result, "TAMPERED at sequence 2000: log truncated: a checkpoint signed at ");
        Assert.EndsWith("covers sequence 2000, but the log ends at 1999", Line(result), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_CheckpointDeleted_TamperedAtItsSequence()
    {
        using var work = log.NewCase();

        var result = await VerifyAfterAsync(work, AuditCase.DropTriggers + "DELETE FROM audit_checkpoints WHERE sequence = 1000;");

        AssertTampered(result, "TAMPERED at sequence 1000: the signed checkpoint written with this entry is missing (deleted)");
    }

    [Fact]
    public async Task Verify_CheckpointSignatureAltered_TamperedAtItsSequence()
    {
        using var work = log.NewCase();

        var result = await VerifyAfterAsync(work, AuditCase.DropTriggers + """
            UPDATE audit_checkpoints SET signature = (CASE WHEN substr(signature, 1, 1) = 'A' THEN 'B' ELSE 'A' END) || substr(signature, 2)
            WHERE sequence = 1000;
            """);

        AssertTampered(result, "TAMPERED at sequence 1000: checkpoint of ");
        Assert.EndsWith("has an invalid signature (forged or altered)", Line(result), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_EntryModifiedAndLaterHashesRecomputed_TamperedAtTheNextCheckpoint()
    {
        using var work = log.NewCase();

        // The rewritten chain is internally consistent; only the checkpoint signed at 2000 contradicts it. The
        // verifier can say that something in 1001..2000 changed, not which entry.
        var result = await VerifyAfterAsync(work, work.RewriteFrom(1500, e => e.ActorName = "mallory"));

        AssertTampered(result, "TAMPERED at sequence 2000: entry does not carry the hash of its signed checkpoint: an entry between 1001 and 2000 was changed and the later hashes recomputed");
    }

    [Fact]
    public async Task Verify_EntryAfterLatestCheckpointRewrittenWithRecomputedHashes_OkWithUnanchoredWarning()
    {
        using var work = log.NewCase();
        var originalHead = work.ReadEntries(2500)[0].Hash;
        var sql = work.RewriteFrom(2400, e => e.Action = "user.deleted");

        var result = await VerifyAfterAsync(work, sql);

        // Not detectable from the database alone: no signed checkpoint covers 2001..2500 yet. The warning is the
        // only trace; an external copy (SIEM, an earlier export) is what catches it. See the threat model.
        Assert.Equal(0, result.ExitCode);
        var head = work.ReadEntries(2500)[0].Hash;
        Assert.NotEqual(originalHead, head);
        Assert.Equal($"OK {SeededAuditLog.EntryCount} entries, head {head}", Line(result));
        Assert.Contains(Unanchored500, result.ErrorLines);
    }

    [Fact]
    public async Task Verify_ForgedEntryAppendedWithValidHash_OkBecauseTheChainHoldsNoSecret()
    {
        using var work = log.NewCase();
        var head = work.ReadEntries(2500)[0];
        var forged = new AuditEntry
        {
            Sequence = 2501, Timestamp = head.Timestamp, Product = "admin", Category = "users", Action = "user.invited", Outcome = "success",
            ActorType = "user", ActorId = "u-1", ActorName = "Alice", SourceIp = "203.0.113.9", TargetType = "user", TargetId = "mallory",
            Details = "{}", PreviousHash = head.Hash,
        };
        forged.Hash = ReferenceAuditHash.Compute(forged);

        var result = await VerifyAfterAsync(work, $$"""
            INSERT INTO audit_entries VALUES (2501, '{{forged.Timestamp}}', 'admin', 'users', 'user.invited', 'success', 'user', 'u-1',
                'Alice', '203.0.113.9', 'user', 'mallory', '{}', '{{forged.PreviousHash}}', '{{forged.Hash}}');
            """);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal($"OK 2501 entries, head {forged.Hash}", Line(result));
        Assert.Contains("warning: 501 entries after the latest signed checkpoint are protected by the hash chain only.", result.ErrorLines);
    }

    [Fact]
    public async Task Verify_RowInsertedBelowSequenceOne_Tampered()
    {
        using var work = log.NewCase();

        var result = await VerifyAfterAsync(work, crossCheck: false, sql: AuditCase.DropTriggers + """
            INSERT INTO audit_entries SELECT 0, timestamp, product, category, 'user.role_changed', outcome, actor_type, actor_id,
                actor_name, source_ip, target_type, target_id, details, previous_hash, hash FROM audit_entries WHERE sequence = 1;
            """);

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("TAMPERED at sequence 0: ", Line(result), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0L, "previous_hash")]        // below the chain
    [InlineData(2502L, "hash")]              // a gap
    [InlineData(2501L, "previous_hash")]     // linked to another entry than the head
    public async Task Sqlite_InsertNotAtHeadWithTriggersInPlace_Refused(long sequence, string linkColumn)
    {
        using var work = log.NewCase();

        var result = await work.SqliteAsync($"""
            INSERT INTO audit_entries SELECT {sequence}, timestamp, product, category, action, outcome, actor_type, actor_id,
                actor_name, source_ip, target_type, target_id, details, {linkColumn}, hash FROM audit_entries WHERE sequence = 2499;
            """);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("audit entries are appended at the head of the chain only", result.StandardError, StringComparison.Ordinal);
    }

    private static string Line(AppProcess.Result result) => result.StandardOutput.TrimEnd('\n');

    private static void AssertTampered(AppProcess.Result result, string expectedStart)
    {
        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith(expectedStart, Line(result), StringComparison.Ordinal);
        Assert.DoesNotContain('\n', Line(result));
    }

    /// <summary>
    /// Applies <paramref name="sql"/> with the sqlite3 shell, then runs <c>audit verify</c> on the database and, on
    /// an identical copy, <c>audit export</c> followed by the Python reference verifier, which must print the same line.
    /// </summary>
    private async Task<AppProcess.Result> VerifyAfterAsync(AuditCase work, string sql, bool crossCheck = true)
    {
        if (sql.Length > 0)
        {
            var tamper = await work.SqliteAsync(sql);
            Assert.True(tamper.ExitCode == 0, tamper.StandardError);
        }

        if (!crossCheck)
        {
            return await work.RunAsync("audit", "verify");
        }

        using var copy = work.Clone();
        var verify = work.RunAsync("audit", "verify");
        var export = await copy.RunAsync("audit", "export", "--out", copy.Combine("audit.jsonl"));
        Assert.True(export.ExitCode == 0, export.StandardError);
        await File.WriteAllTextAsync(copy.Combine("key.pem"), log.PublicKeyPem);
        var reference = await Tool.RunAsync("python3", [Path.Combine(Tool.RepositoryRoot, "tools", "verify-audit-chain.py"),
            copy.Combine("audit.jsonl"), copy.Combine("audit.checkpoints.jsonl"), "--public-key", copy.Combine("key.pem")]);

        var result = await verify;
        Assert.Equal(Line(result), Line(reference));
        Assert.Equal(result.ExitCode, reference.ExitCode);
        return result;
    }
}
