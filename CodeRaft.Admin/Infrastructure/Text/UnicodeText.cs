namespace CodeRaft.Admin.Infrastructure.Text;

/// <summary>Checks on text from people and other systems, shared by every validator that needs them.</summary>
public static class UnicodeText
{
    /// <summary>
    /// False when <paramref name="value"/> holds a lone (unpaired) UTF-16 surrogate: such a string has no UTF-8 form,
    /// so it could not be hashed, stored or compared as the person typed it.
    /// </summary>
    public static bool IsWellFormedUtf16(string value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            if (char.IsHighSurrogate(value[i]) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(value[i]))
            {
                return false;
            }
        }

        return true;
    }
}
