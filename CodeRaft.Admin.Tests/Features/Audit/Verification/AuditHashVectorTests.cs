using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using CodeRaft.Admin.Features.Audit;
using CodeRaft.Admin.Features.Audit.Chain;
using CodeRaft.Admin.Features.Audit.Checkpoints;
using CodeRaft.Admin.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;

namespace CodeRaft.Admin.Tests.Features.Audit.Verification;

/// <summary>
/// Hash vectors of audit chain v1. Three implementations must agree on each: the app's <see cref="AuditHash"/>,
/// <see cref="ReferenceAuditHash"/> in this project, and tools/verify-audit-chain.py (the expected values below
/// were computed with it; the first one is the worked example of docs/audit-chain.md).
/// </summary>
public sealed class AuditHashVectorTests
{
    public static TheoryData<string, string> Vectors => new()
    {
        { "worked-example", "4b4886979a68d477ba9561856d4ee22eb40181778b12e21bc677b6fe6e90fc36" },
        { "empty-strings", "89959ce654df85b5a0f7e4a5929f47c9302ca80d448ccac0db30c177363eae40" },
        { "non-ascii", "bba3031a915bbcb7b096c167eccf4570ab28cb7d0e4ef0de0449d3d6433179b2" },
        { "long-details", "ea9532d93d26774e6ad911ba8615ab1cf1fd01ae5ecb28d5e364f023a3c92188" },
        { "large-sequence", "f020bf6c4712ff59a17606bcfe053d2826f238053a14a632179a60935f17bab3" },
    };

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Compute_Vector_MatchesIndependentImplementationAndPythonReference(string name, string expected)
    {
        var entry = Vector(name);

        Assert.Equal(expected, ReferenceAuditHash.Compute(entry));
        Assert.Equal(expected, AuditHash.Compute(entry));
    }

    [Fact]
    public void CheckpointVerify_DocumentedExample_SignatureAndKeyIdHold()
    {
        // The checkpoint worked example of docs/audit-chain.md, exported from a real installation.
        const string publicKey = """
            -----BEGIN PUBLIC KEY-----
            MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAET8NTJXu6qOO5mq5jlg4VcEiVj+gH
            Ot/+9DZ3riqd0aW8qGo8ZHlr3o+RHO6Knnf0DVF3V8feEUyCScyzN1vELw==
            -----END PUBLIC KEY-----
            """;
        const string hash = "4d654a4150624e9323846b808792cdb525356e227c169d1c3cca35144158aabf";
        const string timestamp = "2026-11-29T08:09:03.621Z";
        var signature = Convert.FromBase64String("oEXfZUkLrh91K24qAkUsIufX7bNzIY27+65WX3mnNfLxRpvr33GoM3Fe9isMYdIkVjtmSLKt3QKLb+wH/Qq94Q==");
        using var key = ECDsa.Create();
        key.ImportFromPem(publicKey);

        var message = AuditCheckpointSigner.Message(200_000, hash, timestamp);

        Assert.Equal("coderaft-audit-checkpoint/v1\n200000\n" + hash + "\n" + timestamp + "\n", Encoding.UTF8.GetString(message));
        Assert.Equal("755343952d250951", AuditCheckpointSigner.ComputeKeyId(key.ExportSubjectPublicKeyInfo()));
        Assert.True(key.VerifyData(message, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation));
        Assert.False(key.VerifyData(AuditCheckpointSigner.Message(200_001, hash, timestamp), signature, HashAlgorithmName.SHA256,
            DSASignatureFormat.IeeeP1363FixedFieldConcatenation));
    }

    [Fact]
    public void Compute_FieldBoundaryShifted_HashDiffers()
    {
        var left = Vector("worked-example");
        var right = Vector("worked-example");
        (left.ActorId, left.ActorName) = ("u-4", "2Zoë");

        Assert.NotEqual(AuditHash.Compute(left), AuditHash.Compute(right));
        Assert.Equal(left.ActorId + left.ActorName, right.ActorId + right.ActorName);
    }

    [Fact]
    public async Task AppendBatch_AssortedEvents_StoredHashesFollowTheRule()
    {
        using var work = new TempDirectory();
        AuditEvent[] events =
        [
            new()
            {
                Category = "apikeys", Action = "apikey.created", Actor = AuditActor.User("u-42", "Zoë"), SourceIp = "203.0.113.7",
                TargetType = "apikey", TargetId = "crk_AbCdEfGh", Details = new JsonObject { ["scopes"] = new JsonArray("audit:read") },
            },
            new() { Category = "system", Action = "system.started", Actor = AuditActor.Anonymous },
            new()
            {
                Product = "entraguard", Category = "users", Action = "user.renamed", Actor = AuditActor.User("u-7", "Élodie Fauré"),
                SourceIp = "2001:db8::1", TargetType = "user", TargetId = "山田 太郎",
                Details = new JsonObject { ["from"] = "Zoe", ["to"] = "Zoë 日本 🔐" },
            },
            new() { Category = "audit", Action = "audit.exported", Details = new JsonObject { ["note"] = new string('x', 60_000) } },
            new()
            {
                Product = "redfox-bastion", Category = "network", Action = "allowlist.entry_added", Outcome = "denied",
                Actor = AuditActor.ApiKey("crk_0123456789ab", "ci key"), TargetType = "cidr", TargetId = "10.0.0.0/8",
                Details = new JsonObject { ["description"] = "a,b \"quoted\"\n", ["token"] = "hunter2" },
            },
        ];

        IReadOnlyList<AuditEntry> returned;
        List<AuditEntry> stored;
        await using (var store = await TestStore.StartAsync(work.Combine("data"), TestSecrets.NewMasterSecret()))
        {
            returned = await store.Get<AuditWriter>().AppendBatchAsync(events);
            await using var db = await store.Contexts.CreateDbContextAsync();
            stored = await db.AuditEntries.AsNoTracking().OrderBy(e => e.Sequence).ToListAsync();
        }

        // A new store's first entry records its signing key; the batch follows it.
        Assert.Equal("audit.signing_key_created", stored[0].Action);
        Assert.Equal(AuditHash.Genesis, stored[0].PreviousHash);
        Assert.Equal(ReferenceAuditHash.Compute(stored[0]), stored[0].Hash);
        var previous = stored[0].Hash;
        stored = [.. stored.Skip(1)];
        Assert.Equal(events.Length, stored.Count);
        for (var i = 0; i < stored.Count; i++)
        {
            var entry = stored[i];
            Assert.Equal(i + 2, entry.Sequence);
            Assert.Equal(previous, entry.PreviousHash);
            Assert.Equal(ReferenceAuditHash.Compute(entry), entry.Hash);
            Assert.Equal(AuditHash.Compute(entry), entry.Hash);
            Assert.Equal(returned[i].Hash, entry.Hash);
            Assert.Equal(events[i].Actor.Name, entry.ActorName);
            Assert.Equal(events[i].TargetId, entry.TargetId);
            previous = entry.Hash;
        }

        Assert.Equal("{}", stored[1].Details);
        Assert.Equal("", stored[1].ActorId);
        Assert.Equal("Zoë 日本 🔐", JsonNode.Parse(stored[2].Details)!["to"]!.GetValue<string>());
        // Redaction happens before hashing: the secret never enters the chain.
        Assert.Equal(AuditDetails.Redacted, JsonNode.Parse(stored[4].Details)!["token"]!.GetValue<string>());
        Assert.DoesNotContain("hunter2", stored[4].Details, StringComparison.Ordinal);
    }

    /// <summary>The vectors; keep them in step with docs/audit-chain.md ("Worked example").</summary>
    internal static AuditEntry Vector(string name) => name switch
    {
        "worked-example" => new AuditEntry
        {
            Sequence = 1, Timestamp = "2026-11-29T08:15:30.123Z", Product = "admin", Category = "apikeys", Action = "apikey.created",
            Outcome = "success", ActorType = "user", ActorId = "u-42", ActorName = "Zoë", SourceIp = "203.0.113.7", TargetType = "apikey",
            TargetId = "crk_AbCdEfGh", Details = """{"scopes":["audit:read"]}""", PreviousHash = AuditHash.Genesis,
        },
        "empty-strings" => new AuditEntry
        {
            Sequence = 2, Timestamp = "", Product = "", Category = "", Action = "", Outcome = "", ActorType = "", ActorId = "",
            ActorName = "", SourceIp = "", TargetType = "", TargetId = "", Details = "",
            PreviousHash = "4b4886979a68d477ba9561856d4ee22eb40181778b12e21bc677b6fe6e90fc36",
        },
        "non-ascii" => new AuditEntry
        {
            Sequence = 3, Timestamp = "2026-11-29T08:15:31.000Z", Product = "entraguard", Category = "users", Action = "user.renamed",
            Outcome = "success", ActorType = "user", ActorId = "u-7", ActorName = "Élodie Fauré", SourceIp = "2001:db8::1",
            TargetType = "user", TargetId = "山田 太郎", Details = """{"from":"Zoe","to":"Zoë 日本 🔐"}""",
            PreviousHash = "89959ce654df85b5a0f7e4a5929f47c9302ca80d448ccac0db30c177363eae40",
        },
        "long-details" => new AuditEntry
        {
            // 70,000 bytes of details: more than a 16-bit length prefix could carry.
            Sequence = 4, Timestamp = "2026-11-29T08:15:32.000Z", Product = "admin", Category = "audit", Action = "audit.exported",
            Outcome = "success", ActorType = "cli", ActorId = "root", ActorName = "cli", SourceIp = "", TargetType = "", TargetId = "",
            Details = "{\"note\":\"" + new string('x', 70_000) + "\"}",
            PreviousHash = "bba3031a915bbcb7b096c167eccf4570ab28cb7d0e4ef0de0449d3d6433179b2",
        },
        "large-sequence" => new AuditEntry
        {
            Sequence = 1_099_511_627_777, Timestamp = "2026-11-29T23:59:59.999Z", Product = "redfox-bastion", Category = "network",
            Action = "allowlist.entry_added", Outcome = "denied", ActorType = "apikey", ActorId = "crk_0123456789ab", ActorName = "ci key",
            SourceIp = "198.51.100.23", TargetType = "cidr", TargetId = "10.0.0.0/8",
            Details = """{"scope":"api","description":"a,b \"quoted\"\n"}""",
            PreviousHash = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        },
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };
}
