using CodeRaft.Admin.Features.Audit;
using CodeRaft.Admin.Features.Audit.Export;
using CodeRaft.Admin.Features.Siem;

namespace CodeRaft.Admin.Tests.Features.Siem.Http;

/// <summary>The §4 JSON shape, as the JSON formatter produces it (the senders embed the formatter's output).</summary>
internal sealed class ExportJsonFormatter : ISiemFormatter
{
    public string Format(SiemRecord record) =>
        record.Entry is { } entry ? AuditExporter.ToJson(entry) : AuditExporter.ToJson(record.Checkpoint!);
}

internal static class SiemHttpTestData
{
    public static SiemRecord Entry(long sequence) => new(new AuditEntry
    {
        Sequence = sequence,
        Timestamp = "2026-11-29T12:00:00.250Z",
        Product = "admin",
        Category = "auth",
        Action = "auth.signin",
        Outcome = "success",
        ActorType = "user",
        ActorId = "u-1",
        ActorName = "Alice \"the admin\"",
        SourceIp = "127.0.0.1",
        TargetType = "user",
        TargetId = "u-1",
        Details = "{\"method\":\"totp\"}",
        PreviousHash = new string('0', 64),
        Hash = sequence.ToString("x64", System.Globalization.CultureInfo.InvariantCulture),
    }, null);

    public static SiemRecord Checkpoint(long sequence) => new(null, new AuditCheckpoint
    {
        Sequence = sequence,
        Hash = sequence.ToString("x64", System.Globalization.CultureInfo.InvariantCulture),
        Timestamp = "2026-11-29T12:05:00.000Z",
        KeyId = "0123456789abcdef",
        Signature = Convert.ToBase64String(new byte[64]),
    });

    public static IReadOnlyList<SiemRecord> Batch(long first, int count) =>
        Enumerable.Range(0, count).Select(i => Entry(first + i)).ToList();
}
