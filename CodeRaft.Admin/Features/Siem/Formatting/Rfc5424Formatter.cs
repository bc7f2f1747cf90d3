using System.Text;
using CodeRaft.Admin.Features.Audit;

namespace CodeRaft.Admin.Features.Siem.Formatting;

/// <summary>
/// One RFC 5424 syslog message, without transport framing (CONTRACTS §8):
/// <c>&lt;PRI&gt;1 TIMESTAMP HOSTNAME coderaft PROCID MSGID [sd-id sequence=".." hash=".." …] details-JSON</c>.
/// The SD element carries every field of the entry's hash (docs/audit-chain.md) besides the timestamp (the header's)
/// and the details (the MSG, verbatim), so a receiver can recompute the chain from the syslog stream alone.
/// MSG has no BOM: it is JSON, which RFC 8259 §8.1 forbids a BOM for, and receivers tend to show it as garbage.
/// </summary>
public sealed class Rfc5424Formatter : SiemLineFormatter
{
    public const int MaxSdNameLength = 32;

    private readonly SyslogHeader _header;
    private readonly string _sdId;

    /// <param name="structuredDataId">SiemTarget.StructuredDataId; see <see cref="ValidateStructuredDataId"/>.</param>
    /// <param name="maxOctets">0 = no cap (TCP/TLS); <see cref="SiemLineFormatter.UdpMaxOctets"/> on UDP.</param>
    public Rfc5424Formatter(string structuredDataId, SyslogHeader header, int maxOctets = 0) : base(maxOctets)
    {
        if (ValidateStructuredDataId(structuredDataId) is { } problem)
        {
            throw new ArgumentException(problem, nameof(structuredDataId));
        }

        _sdId = structuredDataId;
        _header = header;
    }

    /// <summary>
    /// Null when <paramref name="sdId"/> is a usable SD-ID, otherwise why not: an SD-NAME (RFC 5424 §6.3.2: 1–32
    /// PRINTUSASCII except <c>=</c>, space, <c>]</c> and <c>"</c>) — the grammar, which is what a receiver's parser
    /// needs. The form <c>name@enterprise-number</c> (§7.2.2: names without <c>@</c> are reserved for IANA) is what
    /// docs/siem.md asks for but is not enforced here, so that no target the console accepted fails at delivery.
    /// </summary>
    public static string? ValidateStructuredDataId(string? sdId)
    {
        if (string.IsNullOrEmpty(sdId) || sdId.Length > MaxSdNameLength)
        {
            return $"The structured data ID must be 1 to {MaxSdNameLength} characters long, e.g. audit@32473.";
        }

        foreach (var c in sdId)
        {
            if (c is < '!' or > '~' or '=' or ']' or '"')
            {
                return "The structured data ID may only contain printable ASCII characters other than '=', ']', '\"' and space, e.g. audit@32473.";
            }
        }

        return null;
    }

    internal override void WriteEntry(StringBuilder builder, AuditEntry entry, SiemCut cut)
    {
        _header.Append(builder, SiemText.SyslogSeverity(entry.Outcome), entry.Timestamp, entry.Action);
        builder.Append(" [").Append(_sdId);
        builder.Append(" sequence=\"").Append(entry.Sequence).Append('"');
        Param(builder, "hash", entry.Hash, cut);
        Param(builder, "product", entry.Product, cut);
        Param(builder, "category", entry.Category, cut);
        Param(builder, "action", entry.Action, cut);
        Param(builder, "outcome", entry.Outcome, cut);
        Param(builder, "actor", entry.ActorName, cut);
        Param(builder, "actorType", entry.ActorType, cut);
        Param(builder, "actorId", entry.ActorId, cut);
        Param(builder, "target", entry.TargetId, cut);
        Param(builder, "targetType", entry.TargetType, cut);
        Param(builder, "sourceIp", entry.SourceIp, cut);
        if (cut.Truncating)
        {
            builder.Append(" truncated=\"").Append(cut.TruncatedFrom).Append('"');
        }

        builder.Append(']');
        if (entry.Details.Length > 0 || cut.Truncating)
        {
            builder.Append(' ');
            AppendDetails(builder, entry.Details, SiemEscape.None, cut);
        }
    }

    internal override void WriteCheckpoint(StringBuilder builder, AuditCheckpoint checkpoint)
    {
        _header.Append(builder, 6, checkpoint.Timestamp, SiemText.CheckpointAction);
        builder.Append(" [").Append(_sdId);
        builder.Append(" sequence=\"").Append(checkpoint.Sequence).Append('"');
        Param(builder, "hash", checkpoint.Hash, SiemCut.None);
        Param(builder, "keyId", checkpoint.KeyId, SiemCut.None);
        Param(builder, "signature", checkpoint.Signature, SiemCut.None);
        builder.Append(']');
    }

    private static void Param(StringBuilder builder, string name, string value, SiemCut cut)
    {
        builder.Append(' ').Append(name).Append("=\"");
        AppendValue(builder, value, SiemEscape.SdParamValue, cut);
        builder.Append('"');
    }
}
