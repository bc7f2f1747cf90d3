using System.Text.RegularExpressions;

namespace CodeRaft.Admin.Features.Siem.Delivery;

/// <summary>
/// What may be stored as a target's LastError and shown in the console: a sender's
/// <see cref="SiemDeliveryException"/> message (written to be safe), scrubbed once more of the target's secret,
/// URL paths and queries (webhook URLs often carry tokens), and anything token-shaped; any other exception only by
/// its kind, since runtime and library messages may quote request data or key material.
/// </summary>
public static partial class SiemErrorRedactor
{
    public const int MaxLength = 1000;

    public static string Redact(Exception exception, SiemTarget target)
    {
        var text = exception switch
        {
            SiemDeliveryException e => e.Message,
            OperationCanceledException or TimeoutException => "The send timed out.",
            _ => $"Unexpected error ({exception.GetType().Name}).",
        };

        if (!string.IsNullOrEmpty(target.Secret) && target.Secret.Length >= 4)
        {
            text = text.Replace(target.Secret, "[redacted]", StringComparison.Ordinal);
        }

        text = UrlPart().Replace(text, "$1$2");
        text = Credential().Replace(text, "$1 [redacted]");
        text = LongToken().Replace(text, "[redacted]");
        return text.Length <= MaxLength ? text : text[..(MaxLength - 1)] + "…";
    }

    // scheme://host[:port] kept, path/query/fragment and user info dropped
    [GeneratedRegex(@"\b(https?://)(?:[^@/\s]*@)?([^/\s?#]+)[^\s]*", RegexOptions.IgnoreCase)]
    private static partial Regex UrlPart();

    [GeneratedRegex(@"\b(Splunk|Bearer|Basic|token|secret|password|signature)[=: ]+\S+", RegexOptions.IgnoreCase)]
    private static partial Regex Credential();

    // base64/hex runs of 32+ characters: tokens, keys, signatures
    [GeneratedRegex(@"[A-Za-z0-9+/_=-]{32,}")]
    private static partial Regex LongToken();
}
