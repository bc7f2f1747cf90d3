namespace CodeRaft.Admin.Security.Totp;

/// <summary>What a person typed into a code field, checked before any cryptography runs.</summary>
public readonly record struct TotpCodeInput(string? Code, string? Error)
{
    /// <summary>Longest input looked at; anything longer is refused without further work.</summary>
    public const int MaxInputLength = 64;

    public bool IsValid => Error is null;

    /// <summary>Strips spaces and dashes ("123 456", "123-456"); then exactly six digits are required.</summary>
    public static TotpCodeInput Parse(string? input)
    {
        if (string.IsNullOrWhiteSpace(input))
        {
            return new(null, "Enter the 6-digit code from your authenticator app.");
        }

        if (input.Length > MaxInputLength)
        {
            return new(null, "That is not a code: a code has 6 digits.");
        }

        var code = string.Concat(input.Where(c => c is not (' ' or '-' or '\t' or '\u00A0')));
        if (!code.All(char.IsAsciiDigit))
        {
            return new(null, "A code has digits only (0-9).");
        }

        return code.Length == Totp.Digits
            ? new(code, null)
            : new(null, $"A code has exactly {Totp.Digits} digits; this one has {code.Length}.");
    }
}
