using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace CodeRaft.Admin.Features.Audit.Chain;

/// <summary>
/// The hash rule of audit chain v1 (docs/audit-chain.md):
///
///   hash = SHA-256( raw(previous_hash) (32 bytes) || uint64_be(sequence)
///                   || for F in [timestamp, product, category, action, outcome, actor_type, actor_id,
///                            actor_name, source_ip, target_type, target_id, details]:
///                          uint32_be(len(utf8(F))) || utf8(F) )
///
/// Length prefixes make the encoding unambiguous ("ab"+"c" and "a"+"bc" hash differently).
/// </summary>
public static class AuditHash
{
    public const string Genesis = "0000000000000000000000000000000000000000000000000000000000000000";

    public static string Compute(AuditEntry entry) => Convert.ToHexStringLower(ComputeBytes(entry));

    public static byte[] ComputeBytes(AuditEntry entry)
    {
        ReadOnlySpan<string> fields =
        [
            entry.Timestamp, entry.Product, entry.Category, entry.Action, entry.Outcome, entry.ActorType,
            entry.ActorId, entry.ActorName, entry.SourceIp, entry.TargetType, entry.TargetId, entry.Details,
        ];
        var size = 32 + 8;
        foreach (var field in fields)
        {
            size += 4 + Encoding.UTF8.GetMaxByteCount(field.Length);
        }

        var buffer = ArrayPool<byte>.Shared.Rent(size);
        try
        {
            var span = buffer.AsSpan();
            if (Convert.FromHexString(entry.PreviousHash, span[..32], out _, out var written) != OperationStatus.Done || written != 32)
            {
                throw new FormatException($"previous_hash of sequence {entry.Sequence} is not 64 hex characters.");
            }

            BinaryPrimitives.WriteUInt64BigEndian(span[32..], (ulong)entry.Sequence);
            var offset = 40;
            foreach (var field in fields)
            {
                var length = Encoding.UTF8.GetBytes(field, span[(offset + 4)..]);
                BinaryPrimitives.WriteUInt32BigEndian(span[offset..], (uint)length);
                offset += 4 + length;
            }

            return SHA256.HashData(span[..offset]);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The exact text format of timestamps: UTC, milliseconds, 'Z'.</summary>
    public static string FormatTimestamp(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture);
}
