using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using CodeRaft.Admin.Features.Audit.Chain;
using CodeRaft.Admin.Features.Users;
using FluentValidation;

namespace CodeRaft.Admin.Features.Siem.Management;

/// <summary>
/// What adding or editing a SIEM target takes (the console's dialog and <c>siem add</c>). Filters are words separated
/// by spaces or commas. <see cref="Secret"/> and <see cref="ClientCertificatePfx"/> are write-only: on an edit, empty
/// keeps the stored value.
/// </summary>
public sealed class SiemTargetInput
{
    public string? Name { get; set; }

    /// <summary>CONTRACTS §2 name: syslog-udp, syslog-tcp, syslog-tls, splunk-hec or webhook.</summary>
    public string? Type { get; set; } = "syslog-tcp";

    public string? Endpoint { get; set; }

    /// <summary>rfc5424, cef or leef for syslog (empty = rfc5424); json (or empty) for HEC and webhooks.</summary>
    public string? Format { get; set; }

    public string? StructuredDataId { get; set; } = SiemTargetInputValidator.DefaultStructuredDataId;

    public string? Products { get; set; }

    public string? Categories { get; set; }

    public string? Outcomes { get; set; }

    /// <summary>HEC token, or the webhook signing secret (<c>whsec_</c> + base64). Never shown again once stored.</summary>
    public string? Secret { get; set; }

    public string? TrustedCaPem { get; set; }

    /// <summary>PKCS#12 (.pfx/.p12) as base64, holding the certificate and its private key.</summary>
    public string? ClientCertificatePfx { get; set; }

    /// <summary>Opens <see cref="ClientCertificatePfx"/>; used once and never stored (the file is stored re-exported, encrypted at rest).</summary>
    public string? ClientCertificatePassword { get; set; }

    /// <summary>On an edit: drop the stored client certificate.</summary>
    public bool RemoveClientCertificate { get; set; }

    public string? HecIndex { get; set; }

    public string? HecSourceType { get; set; }

    public bool HecAcknowledgments { get; set; }

    public bool Enabled { get; set; } = true;

    /// <summary>Set by <see cref="SiemManagementCore"/> from the store on an edit (a caller's value is overwritten): an empty secret then keeps it.</summary>
    public bool HasStoredSecret { get; set; }

    public SiemTargetType ParsedType => SiemNames.TryParseType(Type, out var type) ? type : SiemTargetType.Webhook;

    public override string ToString() => $"SiemTargetInput {{ Name = {Name}, Type = {Type}, Endpoint = {Endpoint} }}"; // never the secret
}

/// <summary>
/// Every rule of a SIEM target (docs/siem.md, "Managing targets"): one clear message per bad field.
/// <see cref="SiemManagementCore"/> runs it before writing; the console runs it for field messages.
/// </summary>
public sealed partial class SiemTargetInputValidator : AbstractValidator<SiemTargetInput>
{
    public const int MaxNameLength = 100;
    public const int MaxUrlLength = 2048;
    public const int MaxPemLength = 65536;
    public const int MaxPfxBase64Length = 65536;
    public const int MaxSecretLength = 256;
    public const string DefaultStructuredDataId = "audit@32473";
    public const string WebhookSecretPrefix = "whsec_";

    public static readonly string[] TypeNames = [.. Enum.GetValues<SiemTargetType>().Select(t => t.ToText())];

    public SiemTargetInputValidator()
    {
        RuleFor(x => Trimmed(x.Name))
            .Cascade(CascadeMode.Stop)
            .NotEmpty().OverridePropertyName(nameof(SiemTargetInput.Name)).WithMessage("Enter a name for the target, such as the SIEM it sends to.")
            .MaximumLength(MaxNameLength).WithMessage($"The name must be at most {MaxNameLength} characters long.")
            .Must(InviteUserInputValidator.IsCleanText).WithMessage("The name must not contain control characters or text-direction overrides.");

        RuleFor(x => x.Type)
            .Must(t => SiemNames.TryParseType(t, out _))
            .WithMessage($"Choose the type: {string.Join(", ", TypeNames)}.");

        RuleFor(x => x.Endpoint).Custom((endpoint, context) =>
        {
            if (EndpointError(context.InstanceToValidate.ParsedType, endpoint) is { } error)
            {
                context.AddFailure(nameof(SiemTargetInput.Endpoint), error);
            }
        });

        RuleFor(x => x.Format).Custom((format, context) =>
        {
            if (FormatError(context.InstanceToValidate.ParsedType, format) is { } error)
            {
                context.AddFailure(nameof(SiemTargetInput.Format), error);
            }
        });

        RuleFor(x => x.StructuredDataId)
            .Must(IsSdName)
            .WithMessage("The SD-ID must be 1 to 32 printable ASCII characters without spaces, '=', ']' or '\"', such as audit@32473.");

        RuleFor(x => x.Products).Must(p => Words(p).All(AuditVocabulary.Products.Contains))
            .WithMessage($"Products must be chosen from {string.Join(", ", AuditVocabulary.Products)}.");
        RuleFor(x => x.Outcomes).Must(o => Words(o).All(AuditVocabulary.Outcomes.Contains))
            .WithMessage($"Outcomes must be chosen from {string.Join(", ", AuditVocabulary.Outcomes)}.");
        RuleFor(x => x.Categories)
            .Cascade(CascadeMode.Stop)
            .Must(c => Words(c).All(w => CategoryWord().IsMatch(w))).WithMessage("Categories are lowercase words such as auth, users or siem (letters, digits, '-' and '_', at most 32 characters each).")
            .Must(c => string.Join(' ', Words(c)).Length <= 1000).WithMessage("The categories must be at most 1,000 characters in all.");

        RuleFor(x => x.Secret).Custom((secret, context) =>
        {
            var input = context.InstanceToValidate;
            if (SecretError(input.ParsedType, secret, input.HasStoredSecret) is { } error)
            {
                context.AddFailure(nameof(SiemTargetInput.Secret), error);
            }
        });

        RuleFor(x => x.TrustedCaPem).Custom((pem, context) =>
        {
            if (TrustedCaError(context.InstanceToValidate.ParsedType, pem) is { } error)
            {
                context.AddFailure(nameof(SiemTargetInput.TrustedCaPem), error);
            }
        });

        RuleFor(x => x.ClientCertificatePfx).Custom((pfx, context) =>
        {
            var input = context.InstanceToValidate;
            if (ClientCertificateError(input.ParsedType, pfx, input.ClientCertificatePassword, out _) is { } error)
            {
                context.AddFailure(nameof(SiemTargetInput.ClientCertificatePfx), error);
            }
        });

        RuleFor(x => x.HecIndex).Must((input, index) => string.IsNullOrWhiteSpace(index) || (input.ParsedType == SiemTargetType.SplunkHec && HecIndexWord().IsMatch(index.Trim())))
            .WithMessage("The index applies to Splunk HEC only: lowercase letters, digits, '_' and '-', at most 80 characters, not starting with '_' or '-'.");
        RuleFor(x => x.HecSourceType).Must((input, sourceType) => string.IsNullOrWhiteSpace(sourceType) || (input.ParsedType == SiemTargetType.SplunkHec
                && sourceType.Trim().Length <= 100 && sourceType.Trim().All(c => c is > ' ' and < '\u007f')))
            .WithMessage("The sourcetype applies to Splunk HEC only: at most 100 printable ASCII characters without spaces.");
        RuleFor(x => x.HecAcknowledgments).Must((input, ack) => !ack || input.ParsedType == SiemTargetType.SplunkHec)
            .WithMessage("Indexer acknowledgment applies to Splunk HEC only.");
    }

    internal static string Trimmed(string? value) => value?.Trim() ?? "";

    /// <summary>"a, b  c" → [a, b, c] (distinct, in the order given).</summary>
    public static string[] Words(string? text) =>
        [.. (text ?? "").Split([' ', ',', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct(StringComparer.Ordinal)];

    public static SiemFormat EffectiveFormat(SiemTargetType type, string? format) =>
        !type.IsSyslog() ? SiemFormat.Json
        : string.IsNullOrWhiteSpace(format) ? SiemFormat.Rfc5424
        : SiemNames.TryParseFormat(format, out var parsed) ? parsed : SiemFormat.Rfc5424;

    internal static string? EndpointError(SiemTargetType type, string? endpoint)
    {
        var text = endpoint?.Trim() ?? "";
        if (type.IsSyslog())
        {
            return text.Length == 0 ? "Enter the syslog receiver as host:port, such as siem.example.com:6514 or [2001:db8::1]:514."
                : TryParseHostPort(text, out _, out _, out var error) ? null : error;
        }

        var what = type == SiemTargetType.SplunkHec ? "the HEC endpoint, such as https://splunk.example.com:8088/services/collector/event" : "the webhook URL, such as https://hooks.example.com/coderaft";
        if (text.Length == 0)
        {
            return $"Enter {what}.";
        }

        if (text.Length > MaxUrlLength)
        {
            return $"The URL must be at most {MaxUrlLength:N0} characters long.";
        }

        if (text.Any(c => c <= ' ' || c >= '\u007f'))
        {
            return "The URL must not contain spaces, control or non-ASCII characters (percent-encode them).";
        }

        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Host.Length == 0)
        {
            return $"This is not an absolute URL; enter {what}.";
        }

        if (!string.Equals(uri.Scheme, Uri.UriSchemeHttps, StringComparison.Ordinal))
        {
            return "The URL must start with https:// (events are only sent encrypted).";
        }

        if (uri.UserInfo.Length > 0)
        {
            return "The URL must not contain a user name or password; put the credential into the token or secret field.";
        }

        if (text.Contains('#', StringComparison.Ordinal))
        {
            return "The URL must not contain a fragment ('#…').";
        }

        // The endpoint is shown on the page, listed by the CLI and written into audit entries (which are forwarded to
        // every SIEM); a query string often carries a token. Credentials belong in the (encrypted) token field.
        if (text.Contains('?', StringComparison.Ordinal))
        {
            return "The URL must not contain a query string ('?…'); put a token into the token or secret field.";
        }

        return null;
    }

    /// <summary><c>host:port</c>: a DNS name, an IPv4 address or an IPv6 address in brackets; port 1–65535.</summary>
    public static bool TryParseHostPort(string text, out string host, out int port, out string? error)
    {
        host = "";
        port = 0;
        error = "Enter the syslog receiver as host:port, such as siem.example.com:6514 or [2001:db8::1]:514.";
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || colon == text.Length - 1)
        {
            return false;
        }

        var hostPart = text[..colon];
        var portPart = text[(colon + 1)..];
        if (!portPart.All(char.IsAsciiDigit) || portPart.Length > 5 || !int.TryParse(portPart, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535)
        {
            error = "The port must be a number from 1 to 65535.";
            return false;
        }

        if (hostPart.StartsWith('['))
        {
            if (!hostPart.EndsWith(']') || !IPAddress.TryParse(hostPart[1..^1], out var v6) || v6.AddressFamily != AddressFamily.InterNetworkV6 || hostPart.Contains('%', StringComparison.Ordinal))
            {
                error = "An IPv6 address goes in brackets, such as [2001:db8::1]:514.";
                return false;
            }

            host = hostPart[1..^1];
            error = null;
            return true;
        }

        if (hostPart.Contains(':', StringComparison.Ordinal))
        {
            error = "An IPv6 address goes in brackets, such as [2001:db8::1]:514.";
            return false;
        }

        if (Ipv4Like().IsMatch(hostPart))
        {
            var parts = hostPart.Split('.');
            if (parts.Any(p => p.Length > 3 || int.Parse(p, CultureInfo.InvariantCulture) > 255 || (p.Length > 1 && p[0] == '0')))
            {
                error = "This is not a valid IPv4 address (four numbers 0–255, such as 192.0.2.10).";
                return false;
            }

            host = hostPart;
            error = null;
            return true;
        }

        if (hostPart.Length > 253 || !hostPart.TrimEnd('.').Split('.').All(label => DnsLabel().IsMatch(label)))
        {
            error = "The host must be a DNS name (letters, digits and '-', labels of at most 63 characters) or an IP address.";
            return false;
        }

        host = hostPart;
        error = null;
        return true;
    }

    private static string? FormatError(SiemTargetType type, string? format)
    {
        var text = format?.Trim() ?? "";
        if (type.IsSyslog())
        {
            return text.Length == 0 || (SiemNames.TryParseFormat(text, out var parsed) && parsed != SiemFormat.Json) ? null
                : "Choose the syslog format: rfc5424, cef or leef.";
        }

        return text.Length == 0 || string.Equals(text, "json", StringComparison.OrdinalIgnoreCase) ? null
            : "Splunk HEC and webhooks always send JSON; leave the format empty or choose json.";
    }

    /// <summary>RFC 5424 SD-NAME: 1–32 PRINTUSASCII except '=', ' ', ']' and '"'.</summary>
    public static bool IsSdName(string? value) =>
        value is { Length: >= 1 and <= 32 } && value.All(c => c is >= '!' and <= '~' and not ('=' or ']' or '"'));

    internal static string? SecretError(SiemTargetType type, string? secret, bool hasStored)
    {
        var text = secret?.Trim() ?? "";
        if (type.IsSyslog())
        {
            return text.Length == 0 ? null : "Syslog targets take no token or secret; leave the field empty.";
        }

        if (text.Length == 0)
        {
            return hasStored ? null
                : type == SiemTargetType.SplunkHec ? "Enter the HEC token (Splunk → Settings → Data inputs → HTTP Event Collector)."
                : "Enter the webhook signing secret: whsec_ followed by the base64 of 24 to 64 random bytes.";
        }

        if (text.Length > MaxSecretLength || text.Any(c => c is <= ' ' or >= '\u007f'))
        {
            return type == SiemTargetType.SplunkHec
                ? $"The HEC token must be at most {MaxSecretLength} printable ASCII characters without spaces, such as a GUID."
                : "The webhook signing secret must be whsec_ followed by the base64 of 24 to 64 random bytes.";
        }

        if (type == SiemTargetType.Webhook)
        {
            return WebhookSecretBytes(text) is { Length: >= 24 and <= 64 } ? null
                : "The webhook signing secret must be whsec_ followed by the base64 of 24 to 64 random bytes (Standard Webhooks).";
        }

        return null;
    }

    /// <summary>The key bytes of a <c>whsec_</c> secret; null when it is not one.</summary>
    public static byte[]? WebhookSecretBytes(string secret)
    {
        if (!secret.StartsWith(WebhookSecretPrefix, StringComparison.Ordinal))
        {
            return null;
        }

        var body = secret[WebhookSecretPrefix.Length..];
        var buffer = new byte[(body.Length * 3 / 4) + 3];
        return Convert.TryFromBase64String(body, buffer, out var written) ? buffer[..written] : null;
    }

    private static bool UsesTls(SiemTargetType type) => type != SiemTargetType.SyslogUdp && type != SiemTargetType.SyslogTcp;

    internal static string? TrustedCaError(SiemTargetType type, string? pem)
    {
        if (string.IsNullOrWhiteSpace(pem))
        {
            return null;
        }

        if (!UsesTls(type))
        {
            return "A trusted CA applies to TLS targets only (syslog-tls, splunk-hec, webhook).";
        }

        if (pem.Length > MaxPemLength)
        {
            return $"The trusted CA must be at most {MaxPemLength / 1024} KiB of PEM.";
        }

        return ParseCertificates(pem) is { Count: > 0 } certificates ? Dispose(certificates)
            : "The trusted CA is not a PEM certificate; paste the text from -----BEGIN CERTIFICATE----- to -----END CERTIFICATE-----.";

        static string? Dispose(X509Certificate2Collection certificates)
        {
            foreach (var certificate in certificates)
            {
                certificate.Dispose();
            }

            return null;
        }
    }

    /// <summary>The certificates of a PEM text; null when it holds none or is malformed.</summary>
    public static X509Certificate2Collection? ParseCertificates(string pem)
    {
        if (!pem.Contains("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal))
        {
            return null;
        }

        var collection = new X509Certificate2Collection();
        try
        {
            collection.ImportFromPem(pem);
            return collection.Count > 0 ? collection : null;
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    /// <summary>Opens the PKCS#12; on success <paramref name="certificate"/> holds it with its private key (the caller disposes it).</summary>
    internal static string? ClientCertificateError(SiemTargetType type, string? pfxBase64, string? password, out X509Certificate2? certificate)
    {
        certificate = null;
        if (string.IsNullOrWhiteSpace(pfxBase64))
        {
            return string.IsNullOrEmpty(password) ? null : "A password was given without a client certificate.";
        }

        if (!UsesTls(type))
        {
            return "A client certificate applies to TLS targets only (syslog-tls, splunk-hec, webhook).";
        }

        var text = pfxBase64.Trim();
        if (text.Length > MaxPfxBase64Length)
        {
            return $"The client certificate must be at most {MaxPfxBase64Length / 1024} KiB of base64.";
        }

        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(text);
        }
        catch (FormatException)
        {
            return "The client certificate must be a PKCS#12 file (.pfx or .p12) encoded as base64.";
        }

        try
        {
            var loaded = X509CertificateLoader.LoadPkcs12(bytes, password, X509KeyStorageFlags.EphemeralKeySet);
            if (!loaded.HasPrivateKey)
            {
                loaded.Dispose();
                return "The client certificate file holds no private key; export it together with its key.";
            }

            certificate = loaded;
            return null;
        }
        catch (CryptographicException)
        {
            return "The client certificate could not be read: it is not a PKCS#12 file, or the password is wrong.";
        }
    }

    [GeneratedRegex(@"^[a-z0-9][a-z0-9_-]{0,31}$", RegexOptions.CultureInvariant)]
    private static partial Regex CategoryWord();

    [GeneratedRegex(@"^[a-z0-9][a-z0-9_-]{0,79}$", RegexOptions.CultureInvariant)]
    private static partial Regex HecIndexWord();

    [GeneratedRegex(@"^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$", RegexOptions.CultureInvariant)]
    private static partial Regex Ipv4Like();

    [GeneratedRegex(@"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex DnsLabel();
}
