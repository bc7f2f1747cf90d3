using System.Text;
using CodeRaft.Admin.Features.Audit;
using CodeRaft.Admin.Features.Audit.Export;

namespace CodeRaft.Admin.Features.Siem.Formatting;

/// <summary>
/// The export shape of CONTRACTS §4 (<see cref="AuditExporter.ToJson(AuditEntry)"/>), one object per record, for
/// HEC and webhooks. Checkpoints are sent in the checkpoint export shape (<see cref="AuditExporter.ToJson(AuditCheckpoint)"/>):
/// the two key sets are disjoint — only a checkpoint has <c>key_id</c> and <c>signature</c>, only an entry has
/// <c>action</c> — so no extra discriminator is added and a receiver can run the same verification as on an export file.
/// On a syslog target the object is the MSG of an RFC 5424 message with no structured data.
/// </summary>
public sealed class JsonFormatter : ISiemFormatter
{
    /// <summary>The bare JSON formatter (HEC, webhooks).</summary>
    public static readonly JsonFormatter Plain = new(null);

    private readonly SyslogHeader? _syslogHeader;

    /// <param name="maxOctets">0 = no cap; on UDP the details string is cut to fit (the object stays valid JSON in the export shape).</param>
    public JsonFormatter(SyslogHeader? syslogHeader, int maxOctets = 0)
    {
        if (maxOctets != 0 && maxOctets < SiemLineFormatter.MinMaxOctets)
        {
            throw new ArgumentOutOfRangeException(nameof(maxOctets), maxOctets, $"The message size cap is 0 (none) or at least {SiemLineFormatter.MinMaxOctets} octets.");
        }

        _syslogHeader = syslogHeader;
        MaxOctets = maxOctets;
    }

    public int MaxOctets { get; }

    public string Format(SiemRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (record.Entry is not { } entry)
        {
            var checkpoint = record.Checkpoint!;
            return Line(6, checkpoint.Timestamp, SiemText.CheckpointAction, AuditExporter.ToJson(checkpoint));
        }

        var severity = SiemText.SyslogSeverity(entry.Outcome);
        var line = Line(severity, entry.Timestamp, entry.Action, AuditExporter.ToJson(entry));
        if (MaxOctets == 0)
        {
            return line;
        }

        var octets = Encoding.UTF8.GetByteCount(line);
        if (octets <= MaxOctets)
        {
            return line;
        }

        // JSON escaping makes the cost of a cut hard to predict, so search for the longest cut that fits (a rare path:
        // only entries with kilobytes of details on a UDP target come here).
        string Build(int budget, int valueCap) => Line(severity, entry.Timestamp, entry.Action, AuditExporter.ToJson(Cut(entry, budget, valueCap)));
        bool Fits(string candidate) => Encoding.UTF8.GetByteCount(candidate) <= MaxOctets;

        var best = Build(0, int.MaxValue);
        if (!Fits(best))
        {
            // Even without details it does not fit: the last resort is to cut the other free-text values too, harder each round.
            foreach (var valueCap in SiemLineFormatter.LastResortValueCaps)
            {
                best = Build(0, valueCap);
                if (Fits(best))
                {
                    break;
                }
            }

            return best;
        }

        var low = 0;
        var high = Encoding.UTF8.GetByteCount(entry.Details);
        while (low < high)
        {
            var middle = low + ((high - low + 1) / 2);
            var candidate = Build(middle, int.MaxValue);
            if (Fits(candidate))
            {
                (low, best) = (middle, candidate);
            }
            else
            {
                high = middle - 1;
            }
        }

        return best;
    }

    private string Line(int severity, string timestamp, string msgId, string json)
    {
        if (_syslogHeader is null)
        {
            return json;
        }

        var builder = SiemText.Rent();
        _syslogHeader.Append(builder, severity, timestamp, msgId);
        builder.Append(" - ").Append(json);
        return SiemText.ToStringAndReturn(builder);
    }

    private static AuditEntry Cut(AuditEntry e, int detailsBudget, int valueCap) => new()
    {
        Sequence = e.Sequence,
        Timestamp = Capped(e.Timestamp, valueCap),
        Product = Capped(e.Product, valueCap),
        Category = Capped(e.Category, valueCap),
        Action = Capped(e.Action, valueCap),
        Outcome = Capped(e.Outcome, valueCap),
        ActorType = Capped(e.ActorType, valueCap),
        ActorId = Capped(e.ActorId, valueCap),
        ActorName = Capped(e.ActorName, valueCap),
        SourceIp = Capped(e.SourceIp, valueCap),
        TargetType = Capped(e.TargetType, valueCap),
        TargetId = Capped(e.TargetId, valueCap),
        Details = Capped(e.Details, detailsBudget) + SiemText.TruncationMarker,
        PreviousHash = Capped(e.PreviousHash, valueCap),
        Hash = Capped(e.Hash, valueCap),
    };

    private static string Capped(string value, int maxOctets)
    {
        if (maxOctets == int.MaxValue)
        {
            return value;
        }

        var builder = new StringBuilder();
        SiemText.Append(builder, value, SiemEscape.None, maxOctets);
        return builder.ToString();
    }
}
