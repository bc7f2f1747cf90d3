using System.Security.Cryptography;
using System.Text;
using CodeRaft.Admin.Features.Audit;

namespace CodeRaft.Admin.Tests.Features.Audit.Verification;

/// <summary>
/// A second, independent implementation of the hash rule of audit chain v1 (docs/audit-chain.md), written from
/// the document rather than from <c>AuditHash</c>: the tests compare the two, and the tampering tests use this one
/// to recompute hashes the way an outside attacker or verifier would.
/// </summary>
internal static class ReferenceAuditHash
{
    public static string Compute(AuditEntry entry)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(Convert.FromHexString(entry.PreviousHash));
        var sequence = new byte[8];
        for (var i = 0; i < 8; i++)
        {
            sequence[i] = (byte)((ulong)entry.Sequence >> (56 - (8 * i)));
        }

        sha.AppendData(sequence);
        foreach (var field in new[]
        {
            entry.Timestamp, entry.Product, entry.Category, entry.Action, entry.Outcome, entry.ActorType, entry.ActorId,
            entry.ActorName, entry.SourceIp, entry.TargetType, entry.TargetId, entry.Details,
        })
        {
            var bytes = Encoding.UTF8.GetBytes(field);
            var length = (uint)bytes.Length;
            sha.AppendData([(byte)(length >> 24), (byte)(length >> 16), (byte)(length >> 8), (byte)length]);
            sha.AppendData(bytes);
        }

        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }
}
