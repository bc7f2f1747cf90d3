using System.Collections.Frozen;
using System.Globalization;

namespace CodeRaft.Admin.Security.Authentication;

/// <summary>
/// The password rules for local accounts (NIST SP 800-63B style: length and a block list, no composition rules):
/// 12 to 256 characters counted as the user sees them (Unicode text elements, so an emoji or a letter with a
/// combining accent is one character), not a commonly used password, not the account's e-mail address or its
/// local part. Each failure is one sentence a person can act on.
/// </summary>
public sealed class PasswordPolicy
{
    public const int MinimumLength = 12;
    public const int MaximumLength = 256;

    /// <summary>UTF-16 units beyond which a password is refused as too long without segmenting it.</summary>
    private const int MaximumUtf16Length = MaximumLength * 8;

    public const string ResourceName = "CodeRaft.Admin.Security.Authentication.common-passwords.txt";

    public static readonly string EmptyMessage = "Enter a password.";
    public static readonly string TooShortMessage = $"The password must be at least {MinimumLength} characters long.";
    public static readonly string TooLongMessage = $"The password must be at most {MaximumLength} characters long.";
    public static readonly string CommonMessage = "This password is commonly used and easy to guess; choose another one.";
    public static readonly string EmailMessage = "The password must not be your e-mail address or its name part.";

    private static readonly Lazy<FrozenSet<string>> CommonPasswords = new(LoadCommonPasswords);

    /// <summary>The failures of <paramref name="password"/>, one sentence each; empty when it is acceptable.</summary>
    public IReadOnlyList<string> Check(string? password, string? email = null)
    {
        if (string.IsNullOrEmpty(password))
        {
            return [EmptyMessage];
        }

        if (password.Length > MaximumUtf16Length)
        {
            return [TooLongMessage];
        }

        var errors = new List<string>();
        var length = new StringInfo(password).LengthInTextElements;
        if (length < MinimumLength)
        {
            errors.Add(TooShortMessage);
        }
        else if (length > MaximumLength)
        {
            errors.Add(TooLongMessage);
        }

        if (IsCommon(password))
        {
            errors.Add(CommonMessage);
        }

        if (MatchesEmail(password, email))
        {
            errors.Add(EmailMessage);
        }

        return errors;
    }

    /// <summary>Whether the password (case-insensitively) is on the embedded list of common passwords.</summary>
    public static bool IsCommon(string password) => CommonPasswords.Value.Contains(password.ToLowerInvariant());

    internal static int CommonPasswordCount => CommonPasswords.Value.Count;

    private static bool MatchesEmail(string password, string? email)
    {
        email = email?.Trim();
        if (string.IsNullOrEmpty(email))
        {
            return false;
        }

        if (string.Equals(password, email, StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        var at = email.LastIndexOf('@');
        return at > 0 && string.Equals(password, email[..at], StringComparison.OrdinalIgnoreCase);
    }

    private static FrozenSet<string> LoadCommonPasswords()
    {
        // A missing resource is a build defect, not a runtime condition: fail loudly rather than accept everything.
        using var stream = typeof(PasswordPolicy).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The embedded resource {ResourceName} is missing from the build.");
        using var reader = new StreamReader(stream);
        var entries = new List<string>();
        while (reader.ReadLine() is { } line)
        {
            line = line.Trim();
            if (line.Length > 0 && !line.StartsWith('#'))
            {
                entries.Add(line.ToLowerInvariant());
            }
        }

        return entries.ToFrozenSet(StringComparer.Ordinal);
    }
}
