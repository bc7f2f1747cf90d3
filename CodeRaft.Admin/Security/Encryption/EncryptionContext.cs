using System.Text;

namespace CodeRaft.Admin.Security.Encryption;

/// <summary>
/// Where an encrypted value lives. It is bound into the AES-GCM associated data, so a ciphertext copied to
/// another table, column or row fails to decrypt instead of silently yielding another record's secret.
/// </summary>
public readonly record struct EncryptionContext(string Table, string Column, string RowId)
{
    private static readonly byte[] _label = "coderaft/value/v1"u8.ToArray();

    /// <summary>label 0x00 table 0x00 column 0x00 rowId (UTF-8). Names cannot contain NUL, so this is unambiguous.</summary>
    internal int WriteAssociatedData(Span<byte> destination)
    {
        var written = 0;
        _label.CopyTo(destination);
        written += _label.Length;
        foreach (var part in (ReadOnlySpan<string>)[Table, Column, RowId])
        {
            destination[written++] = 0;
            written += Encoding.UTF8.GetBytes(part, destination[written..]);
        }

        return written;
    }

    internal int MaxAssociatedDataLength =>
        _label.Length + 3 + Encoding.UTF8.GetMaxByteCount(Table.Length + Column.Length + RowId.Length);
}
