using System.Security.Cryptography;
using System.Text.Json.Nodes;
using CodeRaft.Admin.Features.Audit;
using CodeRaft.Admin.Tests.TestSupport;

namespace CodeRaft.Admin.Tests.Features.Audit.Verification;

/// <summary>
/// Exports of the real binary, verified by tools/verify-audit-chain.py: it must agree with <c>audit verify</c> on
/// an intact log and find tampering done to the exported files.
/// </summary>
public sealed class ReferenceVerifierTests(ReferenceVerifierTests.Exports exports) : IClassFixture<ReferenceVerifierTests.Exports>, IDisposable
{
    private readonly TempDirectory _work = new();

    public void Dispose() => _work.Dispose();

    [Fact]
    public async Task Verify_OwnExport_SameSummaryAsAuditVerify()
    {
        var result = await RunAsync(exports.Entries, exports.Checkpoints, "--public-key", exports.PublicKey);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal($"OK {SeededAuditLog.EntryCount} entries, head {exports.Log.HeadHash}", exports.AuditVerifyLine);
        Assert.Equal(exports.AuditVerifyLine, Line(result));
        Assert.Contains("warning: 500 entries after the latest signed checkpoint are protected by the hash chain only.", result.ErrorLines);
    }

    [Fact]
    public async Task Verify_ExportedLineEdited_TamperedAtThatSequence()
    {
        var lines = await File.ReadAllLinesAsync(exports.Entries);
        var edited = JsonNode.Parse(lines[1499])!;
        edited["action"] = "user.deleted";
        lines[1499] = edited.ToJsonString();
        var entries = _work.Combine("edited.jsonl");
        await File.WriteAllLinesAsync(entries, lines);

        var result = await RunAsync(entries, exports.Checkpoints, "--public-key", exports.PublicKey);

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("TAMPERED at sequence 1500: content does not match its hash (modified)", Line(result));
    }

    [Fact]
    public async Task Verify_CheckpointSignatureForged_TamperedAtItsSequence()
    {
        var lines = await File.ReadAllLinesAsync(exports.Checkpoints);
        var forged = JsonNode.Parse(lines[0])!;
        var signature = Convert.FromBase64String(forged["signature"]!.GetValue<string>());
        signature[40] ^= 0x01;
        forged["signature"] = Convert.ToBase64String(signature);
        lines[0] = forged.ToJsonString();
        var checkpoints = _work.Combine("forged.checkpoints.jsonl");
        await File.WriteAllLinesAsync(checkpoints, lines);

        var result = await RunAsync(exports.Entries, checkpoints, "--public-key", exports.PublicKey);

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("TAMPERED at sequence 1000: checkpoint of ", Line(result), StringComparison.Ordinal);
        Assert.EndsWith("has an invalid signature (forged or altered)", Line(result), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_ExportTailCutBehindCheckpoint_TamperedAtTheCheckpoint()
    {
        var entries = _work.Combine("cut.jsonl");
        await File.WriteAllLinesAsync(entries, (await File.ReadAllLinesAsync(exports.Entries)).Take(1999));

        var result = await RunAsync(entries, exports.Checkpoints, "--public-key", exports.PublicKey);

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("TAMPERED at sequence 2000: log truncated: a checkpoint signed at ", Line(result), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_AnotherInstallationsKey_TamperedUnknownKey()
    {
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var key = _work.Combine("other.pem");
        await File.WriteAllTextAsync(key, other.ExportSubjectPublicKeyInfoPem());

        var result = await RunAsync(exports.Entries, exports.Checkpoints, "--public-key", key);

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("TAMPERED at sequence 1000: checkpoint of ", Line(result), StringComparison.Ordinal);
        Assert.Contains(" is signed by unknown key ", Line(result), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_ExportFromMidChain_OkAndSaysWhereItStarts()
    {
        var result = await RunAsync(exports.MidChainEntries, exports.MidChainCheckpoints, "--public-key", exports.PublicKey);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal($"OK 1500 entries, head {exports.Log.HeadHash}", Line(result));
        Assert.Contains(result.ErrorLines, l => l.StartsWith("warning: the export starts at sequence 1001: its previous_hash is taken as given", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Verify_MidChainExportWithForgedStart_TamperedByTheCheckpointBeforeIt()
    {
        var lines = await File.ReadAllLinesAsync(exports.MidChainEntries);
        var first = JsonNode.Parse(lines[0])!;
        var entry = new AuditEntry
        {
            Sequence = 1001, Timestamp = (string)first["timestamp"]!, Product = (string)first["product"]!, Category = (string)first["category"]!,
            Action = (string)first["action"]!, Outcome = (string)first["outcome"]!, ActorType = (string)first["actor_type"]!,
            ActorId = (string)first["actor_id"]!, ActorName = "mallory", SourceIp = (string)first["source_ip"]!,
            TargetType = (string)first["target_type"]!, TargetId = (string)first["target_id"]!, Details = (string)first["details"]!,
            PreviousHash = new string('e', 64),
        };
        first["actor_name"] = entry.ActorName;
        first["previous_hash"] = entry.PreviousHash;
        first["hash"] = ReferenceAuditHash.Compute(entry);
        // A self-consistent export that starts mid-chain: only the signed checkpoint at 1000 can contradict it.
        var rehashed = new List<string> { first.ToJsonString() };
        var previous = (string)first["hash"]!;
        foreach (var line in lines.Skip(1))
        {
            var node = JsonNode.Parse(line)!;
            node["previous_hash"] = previous;
            var next = ToEntry(node);
            node["hash"] = previous = ReferenceAuditHash.Compute(next);
            rehashed.Add(node.ToJsonString());
        }

        var entries = _work.Combine("forged-start.jsonl");
        await File.WriteAllLinesAsync(entries, rehashed);

        var withoutCheckpoints = await RunAsync(entries);
        var withCheckpoints = await RunAsync(entries, exports.MidChainCheckpoints, "--public-key", exports.PublicKey);

        Assert.Equal(0, withoutCheckpoints.ExitCode);
        Assert.Equal(1, withCheckpoints.ExitCode);
        Assert.Equal("TAMPERED at sequence 1001: previous_hash does not match the signed checkpoint at sequence 1000", Line(withCheckpoints));
    }

    [Fact]
    public async Task Verify_NoCheckpointsFile_OkWithWarningThatNothingIsAnchored()
    {
        var result = await RunAsync(exports.Entries);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(exports.AuditVerifyLine, Line(result));
        Assert.Contains(result.ErrorLines, l => l.StartsWith("warning: no checkpoints file given", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData]
    [InlineData("--public-key")]
    [InlineData("a.jsonl", "a.checkpoints.jsonl")]
    [InlineData("does-not-exist.jsonl")]
    public async Task Verify_BadUsage_ExitTwo(params string[] args)
    {
        var result = await RunAsync(args);

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("", result.StandardOutput);
        Assert.NotEqual("", result.StandardError);
    }

    private static string Line(AppProcess.Result result) => result.StandardOutput.TrimEnd('\n');

    private static Task<AppProcess.Result> RunAsync(params string[] args) =>
        Tool.RunAsync("python3", [Path.Combine(Tool.RepositoryRoot, "tools", "verify-audit-chain.py"), .. args]);

    private static AuditEntry ToEntry(JsonNode node) => new()
    {
        Sequence = (long)node["sequence"]!, Timestamp = (string)node["timestamp"]!, Product = (string)node["product"]!,
        Category = (string)node["category"]!, Action = (string)node["action"]!, Outcome = (string)node["outcome"]!,
        ActorType = (string)node["actor_type"]!, ActorId = (string)node["actor_id"]!, ActorName = (string)node["actor_name"]!,
        SourceIp = (string)node["source_ip"]!, TargetType = (string)node["target_type"]!, TargetId = (string)node["target_id"]!,
        Details = (string)node["details"]!, PreviousHash = (string)node["previous_hash"]!,
    };

    /// <summary>
    /// The seeded log, exported once by the real binary (whole and <c>--from 1001</c>), its public key from
    /// <c>audit public-key</c>, and the line <c>audit verify</c> printed for an identical copy before any export
    /// (each of these commands appends its own entry, so each runs on its own copy).
    /// </summary>
    public sealed class Exports : IAsyncLifetime
    {
        private AuditCase? _whole;
        private AuditCase? _midChain;

        public SeededAuditLog Log { get; } = new();

        public string Entries => _whole!.Combine("audit.jsonl");

        public string Checkpoints => _whole!.Combine("audit.checkpoints.jsonl");

        public string PublicKey => _whole!.Combine("key.pem");

        public string MidChainEntries => _midChain!.Combine("from-1001.jsonl");

        public string MidChainCheckpoints => _midChain!.Combine("from-1001.checkpoints.jsonl");

        public string AuditVerifyLine { get; private set; } = "";

        public async Task InitializeAsync()
        {
            await Log.InitializeAsync();
            _whole = Log.NewCase();
            _midChain = Log.NewCase();
            using var forVerify = Log.NewCase();
            var verify = forVerify.RunAsync("audit", "verify");
            var export = _whole.RunAsync("audit", "export", "--out", Entries);
            var midChain = _midChain.RunAsync("audit", "export", "--out", MidChainEntries, "--from", "1001");
            foreach (var run in new[] { await verify, await export, await midChain })
            {
                Assert.True(run.ExitCode is 0, run.StandardError);
            }

            AuditVerifyLine = (await verify).StandardOutput.TrimEnd('\n');
            var publicKey = await _whole.RunAsync("audit", "public-key");
            Assert.True(publicKey.ExitCode is 0, publicKey.StandardError);
            await File.WriteAllTextAsync(PublicKey, publicKey.StandardOutput);
        }

        public async Task DisposeAsync()
        {
            _whole?.Dispose();
            _midChain?.Dispose();
            await Log.DisposeAsync();
        }
    }
}
