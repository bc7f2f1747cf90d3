using System.Text;
using CodeRaft.Admin.Features.Audit;

namespace CodeRaft.Admin.Features.Siem.Formatting;

/// <summary>
/// Limits applied while writing an entry that must fit a datagram: every other value cut to <see cref="ValueCap"/>
/// octets (a last resort, only when the details alone do not make room), the details cut to <see cref="DetailsBudget"/>
/// octets and followed by <see cref="SiemText.TruncationMarker"/>, and the original size of the details
/// (<see cref="TruncatedFrom"/>) recorded in the message.
/// </summary>
internal readonly record struct SiemCut(int ValueCap, int DetailsBudget, int TruncatedFrom)
{
    public static readonly SiemCut None = new(int.MaxValue, int.MaxValue, -1);

    public bool Truncating => TruncatedFrom >= 0;
}

/// <summary>
/// A line format (RFC 5424, CEF, LEEF) with an optional size cap. Without a cap (TCP/TLS: octet-counted framing
/// carries any length) a message is never cut. With one (UDP) a message that would exceed it is rebuilt with its
/// details cut to fit and marked — never cut in the middle of the grammar.
/// </summary>
public abstract class SiemLineFormatter : ISiemFormatter
{
    /// <summary>RFC 5424 §6.1: receivers SHOULD accept 2048 octets — the cap on UDP, where a datagram is all or nothing.</summary>
    public const int UdpMaxOctets = 2048;

    /// <summary>The smallest cap allowed: with it every entry still fits once its details are dropped and its other values cut.</summary>
    public const int MinMaxOctets = 1536;

    internal static readonly int[] LastResortValueCaps = [64, 16, 0];

    protected SiemLineFormatter(int maxOctets)
    {
        if (maxOctets != 0 && maxOctets < MinMaxOctets)
        {
            throw new ArgumentOutOfRangeException(nameof(maxOctets), maxOctets, $"The message size cap is 0 (none) or at least {MinMaxOctets} octets.");
        }

        MaxOctets = maxOctets;
    }

    /// <summary>The most UTF-8 octets a message may have; 0 = no cap.</summary>
    public int MaxOctets { get; }

    public string Format(SiemRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var builder = SiemText.Rent();
        if (record.Entry is not { } entry)
        {
            // A checkpoint is a few fixed-size hex/base64 values: far below any cap.
            WriteCheckpoint(builder, record.Checkpoint!);
            return SiemText.ToStringAndReturn(builder);
        }

        WriteEntry(builder, entry, SiemCut.None);
        // A UTF-16 character is at most 3 UTF-8 octets, so short messages need no counting.
        if (MaxOctets == 0 || builder.Length * 3 <= MaxOctets || SiemText.Utf8Octets(builder) <= MaxOctets)
        {
            return SiemText.ToStringAndReturn(builder);
        }

        var cut = new SiemCut(int.MaxValue, 0, Encoding.UTF8.GetByteCount(entry.Details));
        var fixedOctets = Measure(builder, entry, cut);
        // Last resort, when even the details' removal does not make room: cut the other values, harder each round
        // (with a cap of 0 only the header, the keys and the sequence are left, far below MinMaxOctets).
        foreach (var valueCap in LastResortValueCaps)
        {
            if (fixedOctets <= MaxOctets)
            {
                break;
            }

            cut = cut with { ValueCap = valueCap };
            fixedOctets = Measure(builder, entry, cut);
        }

        builder.Clear();
        WriteEntry(builder, entry, cut with { DetailsBudget = Math.Max(0, MaxOctets - fixedOctets) });
        return SiemText.ToStringAndReturn(builder);
    }

    internal abstract void WriteEntry(StringBuilder builder, AuditEntry entry, SiemCut cut);

    internal abstract void WriteCheckpoint(StringBuilder builder, AuditCheckpoint checkpoint);

    internal static void AppendValue(StringBuilder builder, string value, SiemEscape escape, SiemCut cut) =>
        SiemText.Append(builder, value, escape, cut.ValueCap);

    internal static void AppendDetails(StringBuilder builder, string details, SiemEscape escape, SiemCut cut)
    {
        if (!cut.Truncating)
        {
            SiemText.Append(builder, details, escape);
            return;
        }

        SiemText.Append(builder, details, escape, cut.DetailsBudget);
        builder.Append(SiemText.TruncationMarker);
    }

    private int Measure(StringBuilder builder, AuditEntry entry, SiemCut cut)
    {
        builder.Clear();
        WriteEntry(builder, entry, cut);
        return SiemText.Utf8Octets(builder);
    }
}
