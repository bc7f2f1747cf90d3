using System.Text;
using System.Text.Json.Nodes;
using CodeRaft.Admin.Features.Audit;
using CodeRaft.Admin.Features.Audit.Chain;

namespace CodeRaft.Admin.Bench.Audit;

/// <summary>
/// Deterministic, realistic audit rows: mostly sign-ins and user changes by a few hundred users, about 5 % denied and
/// 5 % failed, details from empty to a user-agent string. Every row is valid for <see cref="AuditEventValidator"/>, and
/// no details key looks like a secret, so <see cref="AuditDetails.Serialize"/> leaves the JSON as generated.
/// </summary>
internal sealed class AuditRows(int seed)
{
    public const double DeniedShare = 0.05;

    private static readonly (string Category, double Share, string[] Actions)[] _categories =
    [
        ("auth", 0.35, ["auth.signed-in", "auth.signed-out", "auth.step-up", "auth.totp-failed"]),
        ("users", 0.20, ["user.created", "user.updated", "user.disabled", "user.role-changed"]),
        ("apikeys", 0.10, ["apikey.created", "apikey.revoked", "apikey.used"]),
        ("network", 0.08, ["network.allowlist-changed", "network.proxy-changed"]),
        ("siem", 0.05, ["siem.forwarder-changed", "siem.test-sent"]),
        ("licenses", 0.04, ["license.imported", "license.verified"]),
        ("settings", 0.08, ["settings.changed"]),
        ("system", 0.10, ["system.started", "system.stopped", "keyring.rotated"]),
    ];

    private static readonly string[] _users = [.. Enumerable.Range(0, 300).Select(i => UserId(i))];

    private readonly Random _random = new(seed);

    /// <summary>A row's content; the caller sets sequence, previous hash and hash (see <see cref="Chain"/>).</summary>
    public AuditEntry Next(string timestamp)
    {
        var (category, actions) = PickCategory(_random.NextDouble());
        var outcomeDraw = _random.NextDouble();
        var actorDraw = _random.NextDouble();
        var user = _random.Next(_users.Length);
        var (actorType, actorId, actorName) = actorDraw switch
        {
            < 0.85 => ("user", _users[user], $"user{user:D3}@corp.example"),
            < 0.95 => ("apikey", $"ak_{user:D4}", "ci-pipeline"),
            _ => ("system", "", "CodeRaft.Admin"),
        };
        var (targetType, targetId) = category switch
        {
            "users" => ("user", _users[_random.Next(_users.Length)]),
            "apikeys" => ("apikey", $"ak_{_random.Next(1000):D4}"),
            "network" or "settings" or "siem" => ("setting", $"{category}.{_random.Next(12)}"),
            _ => ("", ""),
        };

        return new AuditEntry
        {
            Timestamp = timestamp,
            Product = _random.NextDouble() switch { < 0.70 => "admin", < 0.85 => "entraguard", < 0.95 => "ravenscan", _ => "redfox-bastion" },
            Category = category,
            Action = actions[_random.Next(actions.Length)],
            Outcome = outcomeDraw < DeniedShare ? AuditVocabulary.Denied : outcomeDraw < 2 * DeniedShare ? AuditVocabulary.Failure : AuditVocabulary.Success,
            ActorType = actorType,
            ActorId = actorId,
            ActorName = actorName,
            SourceIp = $"10.{_random.Next(256)}.{_random.Next(256)}.{_random.Next(1, 255)}",
            TargetType = targetType,
            TargetId = targetId,
            Details = (_random.Next(10), outcomeDraw < 2 * DeniedShare) switch
            {
                (_, true) => $$"""{"reason":"missing permission {{category}}.manage","path":"/{{category}}/{{_random.Next(500)}}"}""",
                (< 3, _) => "{}",
                (< 6, _) => """{"field":"role","from":"viewer","to":"operator"}""",
                _ => """{"userAgent":"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36","method":"totp"}""",
            },
        };
    }

    /// <summary>Sets sequence, previous hash and hash exactly as the writer does.</summary>
    public static void Chain(AuditEntry entry, long sequence, string previousHash)
    {
        entry.Sequence = sequence;
        entry.PreviousHash = previousHash;
        entry.Hash = AuditHash.Compute(entry);
    }

    /// <summary>What a feature would report to produce <paramref name="row"/>.</summary>
    public static AuditEvent ToEvent(AuditEntry row) => new()
    {
        Product = row.Product,
        Category = row.Category,
        Action = row.Action,
        Outcome = row.Outcome,
        Actor = new AuditActor(row.ActorType, row.ActorId, row.ActorName),
        SourceIp = row.SourceIp,
        TargetType = row.TargetType,
        TargetId = row.TargetId,
        Details = (JsonObject)JsonNode.Parse(row.Details)!,
    };

    /// <summary>Bytes hashed for one entry by the v1 rule: 32 + 8 + sum over the 12 text fields of (4 + UTF-8 length).</summary>
    public static int EncodedSize(AuditEntry entry)
    {
        var size = 32 + 8;
        foreach (var field in (ReadOnlySpan<string>)[entry.Timestamp, entry.Product, entry.Category, entry.Action, entry.Outcome,
                     entry.ActorType, entry.ActorId, entry.ActorName, entry.SourceIp, entry.TargetType, entry.TargetId, entry.Details])
        {
            size += 4 + Encoding.UTF8.GetByteCount(field);
        }

        return size;
    }

    private static (string Category, string[] Actions) PickCategory(double draw)
    {
        foreach (var (category, share, actions) in _categories)
        {
            if (draw < share)
            {
                return (category, actions);
            }

            draw -= share;
        }

        return (_categories[^1].Category, _categories[^1].Actions);
    }

    private static string UserId(int index)
    {
        Span<byte> bytes = stackalloc byte[16];
        new Random(index + 1).NextBytes(bytes);
        return new Guid(bytes).ToString();
    }
}
