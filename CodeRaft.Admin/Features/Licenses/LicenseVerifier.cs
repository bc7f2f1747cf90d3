using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CodeRaft.Admin.Features.Users;

namespace CodeRaft.Admin.Features.Licenses;

/// <summary>What a license key decodes to: the license, or why it was refused (then <see cref="License"/> is null).</summary>
/// <param name="ClaimedLicenseId">The payload's <c>licenseId</c> when it can be read, even from a refused key (for the
/// audit entry); never trusted for anything else.</param>
public sealed record LicenseDecoding(License? License, LicenseRejection? Rejection, Guid? ClaimedLicenseId, string? ClaimedProduct);

/// <summary>
/// Verifies license keys of format v1 (CONTRACTS §7, docs/licensing.md) offline: no network, ever.
///
/// <see cref="Decode"/> answers what does not depend on time or on the installed licenses, in this order:
///   1. shape: at most <see cref="MaxKeyLength"/> ASCII characters, <c>CRL1.&lt;payload&gt;.&lt;signature&gt;</c>,
///      canonical unpadded base64url                                      → malformed / unknown version
///   2. signature: RSASSA-PKCS1-v1_5 SHA-256 over the ASCII bytes of the first two segments, against each TRUSTED key
///      (<see cref="RSA.VerifyData(byte[], byte[], HashAlgorithmName, RSASignaturePadding)"/>; nothing is trusted
///      before the signature holds — only the claimed licenseId is read, best effort, for the refusal's audit entry)
///                                                                        → bad signature / untrusted key
///   3. payload: strict UTF-8, JSON without duplicate names, <c>v</c> = 1, a known product, every field well-formed
///                                                                        → malformed / unknown version / unknown product
/// Successful decodings are cached by key string, so the RSA operation runs once per key, not per request.
/// <see cref="Check"/> adds the time and organization rules on top.
/// </summary>
public sealed class LicenseVerifier(TrustedLicenseKeys keys)
{
    public const string Prefix = "CRL1";

    /// <summary>A v1 key with a 4096-bit signature and a generous payload stays far below this; a 1 MB paste does not.</summary>
    public const int MaxKeyLength = 16 * 1024;

    /// <summary>Clock skew tolerated between the vendor's clock (issuedAt) and this server's.</summary>
    public static readonly TimeSpan IssuedAtSkew = TimeSpan.FromMinutes(5);

    private const int MaxCached = 256;
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private static readonly JsonDocumentOptions JsonOptions = new() { MaxDepth = 8, AllowDuplicateProperties = false };
    private static readonly JsonSerializerOptions IndentedJson = new() { WriteIndented = true };
    private readonly ConcurrentDictionary<string, LicenseDecoding> _verified = new(StringComparer.Ordinal);

    public TrustedLicenseKeys Keys => keys;

    /// <summary>A license file's bytes: UTF-8 text holding the key (surrounding whitespace ignored).</summary>
    public LicenseDecoding Decode(ReadOnlySpan<byte> file)
    {
        if (file.Length > MaxKeyLength * 4)
        {
            return Refused(LicenseRejection.Malformed($"The license file is {file.Length:N0} bytes long; a license key is at most {MaxKeyLength:N0} characters."));
        }

        // Editors such as Notepad save UTF-8 with a byte order mark: it is not part of the key.
        if (file.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            file = file[3..];
        }

        string text;
        try
        {
            text = StrictUtf8.GetString(file);
        }
        catch (DecoderFallbackException)
        {
            return Refused(LicenseRejection.Malformed("The license file is not text: it contains bytes that are not UTF-8."));
        }

        return Decode(text);
    }

    public LicenseDecoding Decode(string? key)
    {
        var text = (key ?? "").Trim();
        if (_verified.TryGetValue(text, out var cached))
        {
            return cached;
        }

        var decoding = DecodeUncached(text);
        if (decoding.License is not null)
        {
            if (_verified.Count >= MaxCached)
            {
                _verified.Clear(); // bounded: a handful of licenses are installed; anything beyond is churn
            }

            _verified[text] = decoding;
        }

        return decoding;
    }

    /// <summary>
    /// The whole check at <paramref name="now"/> (the licensing clock's time): <see cref="Decode"/>, then issued in
    /// the future, expired beyond the grace period, another organization than <paramref name="installedOrganizationId"/>
    /// (null when no license is installed).
    /// </summary>
    public LicenseDecoding Check(string? key, DateTimeOffset now, string? installedOrganizationId) =>
        WithRules(Decode(key), now, installedOrganizationId);

    /// <summary>The same for a license file's bytes, with the file rules of <see cref="Decode(ReadOnlySpan{byte})"/>.</summary>
    public LicenseDecoding Check(ReadOnlySpan<byte> file, DateTimeOffset now, string? installedOrganizationId) =>
        WithRules(Decode(file), now, installedOrganizationId);

    private static LicenseDecoding WithRules(LicenseDecoding decoding, DateTimeOffset now, string? installedOrganizationId) =>
        decoding.License is { } license && Rejection(license, now, installedOrganizationId) is { } rejection
            ? decoding with { License = null, Rejection = rejection }
            : decoding;

    public static LicenseRejection? Rejection(License license, DateTimeOffset now, string? installedOrganizationId)
    {
        ArgumentNullException.ThrowIfNull(license);
        if (license.IssuedAt > now + IssuedAtSkew)
        {
            return new(LicenseRejectionReason.NotYetValid,
                $"The license was issued at {Time(license.IssuedAt)}, which is later than this server's clock ({Time(now)}); check the server's time.");
        }

        if (now >= license.GraceEndsAt)
        {
            return new(LicenseRejectionReason.Expired,
                $"The license expired on {Day(license.ExpiresAt)} and its {License.GracePeriod.Days}-day grace period ended on {Day(license.GraceEndsAt)}.");
        }

        if (installedOrganizationId is not null && !string.Equals(installedOrganizationId, license.OrganizationId, StringComparison.Ordinal))
        {
            return new(LicenseRejectionReason.OtherOrganization,
                $"The license is for the organization \"{license.OrganizationName}\" ({license.OrganizationId}), but the installed licenses belong to the organization {installedOrganizationId}; all licenses of a portal belong to one organization.");
        }

        return null;
    }

    private LicenseDecoding DecodeUncached(string text)
    {
        if (text.Length == 0)
        {
            return Refused(LicenseRejection.Malformed("The license key is empty."));
        }

        if (text.Length > MaxKeyLength)
        {
            return Refused(LicenseRejection.Malformed($"The license key is {text.Length:N0} characters long; a license key is at most {MaxKeyLength:N0}."));
        }

        if (!Ascii.IsValid(text) || text.Any(char.IsControl))
        {
            return Refused(LicenseRejection.Malformed("The license key contains characters that cannot be part of a license key."));
        }

        var parts = text.Split('.');
        if (parts[0] != Prefix)
        {
            return Refused(parts[0].Length is > 3 and <= 12 && parts[0].StartsWith("CRL", StringComparison.Ordinal) && parts[0][3..].All(char.IsAsciiDigit)
                ? new(LicenseRejectionReason.UnknownVersion, $"This is a license key of format {parts[0]}; this portal reads format {Prefix}. Update the portal to install it.")
                : LicenseRejection.Malformed($"This is not a CodeRaft license key: a license key starts with \"{Prefix}.\"."));
        }

        if (parts.Length != 3 || parts[1].Length == 0 || parts[2].Length == 0)
        {
            return Refused(LicenseRejection.Malformed("The license key is incomplete: it has three parts separated by dots (was it cut off when copying?)."));
        }

        if (FromBase64Url(parts[1]) is not { } payload)
        {
            return Refused(LicenseRejection.Malformed("The license key is damaged: its payload is not valid base64url."));
        }

        var claimed = ReadClaims(payload);
        if (FromBase64Url(parts[2]) is not { } signature)
        {
            return Refused(LicenseRejection.Malformed("The license key is damaged: its signature is not valid base64url (was it cut off or padded?)."), claimed);
        }

        if (!keys.Keys.Any(k => k.Key.KeySize / 8 == signature.Length))
        {
            return Refused(LicenseRejection.Malformed($"The license key's signature is {signature.Length} bytes long, which no license key has (was it cut off when copying?)."), claimed);
        }

        // The signature covers the ASCII text "CRL1.<payload>", not the decoded JSON: re-encoding the JSON breaks it.
        var signed = Encoding.ASCII.GetBytes(string.Concat(Prefix, ".", parts[1]));
        var signer = keys.Keys.FirstOrDefault(k => k.Key.KeySize / 8 == signature.Length
            && k.Key.VerifyData(signed, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
        if (signer is null)
        {
            return Refused(new(LicenseRejectionReason.BadSignature,
                "The signature does not match: the license key was changed after it was issued, or it was not issued with a CodeRaft license key."), claimed);
        }

        if (!signer.Trusted)
        {
            return Refused(new(LicenseRejectionReason.UntrustedKey,
                $"The license is signed by a key this portal does not trust (SHA-256 {signer.Fingerprint[..16]}… from {TrustedLicenseKeys.ConfigurationKey}, which is ignored in Production)."), claimed);
        }

        return ReadPayload(payload, text, signer, claimed);
    }

    private static LicenseDecoding ReadPayload(byte[] payload, string text, TrustedLicenseKey signer, (Guid? Id, string? Product) claimed)
    {
        string json;
        try
        {
            json = StrictUtf8.GetString(payload);
        }
        catch (DecoderFallbackException)
        {
            return Refused(LicenseRejection.Malformed("The license payload is not UTF-8 text."), claimed);
        }

        try
        {
            using var document = JsonDocument.Parse(json, JsonOptions);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return Refused(LicenseRejection.Malformed("The license payload is not a JSON object."), claimed);
            }

            if (!root.TryGetProperty("v", out var v) || v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out var version))
            {
                return Refused(LicenseRejection.Malformed("The license payload has no version (\"v\")."), claimed);
            }

            if (version != 1)
            {
                return Refused(new(LicenseRejectionReason.UnknownVersion, $"The license payload has version {version}; this portal reads version 1. Update the portal to install it."), claimed);
            }

            var productText = String(root, "product", 64);
            if (productText is null)
            {
                return Refused(LicenseRejection.Malformed("The license payload's \"product\" is missing or not text."), claimed);
            }

            if (ExactProduct(productText) is not { } product)
            {
                return Refused(new(LicenseRejectionReason.UnknownProduct,
                    $"The license is for the product \"{Printable(productText)}\", which this portal does not manage (entraguard, ravenscan, redfox-bastion)."), claimed);
            }

            var problem = (string field, string rule) => Refused(LicenseRejection.Malformed($"The license payload's \"{field}\" {rule}."), claimed);
            if (String(root, "licenseId", 64) is not { } idText || !Guid.TryParseExact(idText, "D", out var licenseId) || licenseId == Guid.Empty)
            {
                return problem("licenseId", "is not a UUID");
            }

            if (String(root, "organizationId", 128) is not { Length: > 0 } organizationId || !organizationId.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':'))
            {
                return problem("organizationId", "must be 1 to 128 letters, digits, '-', '_', '.' or ':'");
            }

            if (String(root, "organizationName", 200) is not { } organizationName || organizationName.Trim().Length == 0 || organizationName.Any(char.IsControl))
            {
                return problem("organizationName", "must be a name of 1 to 200 characters");
            }

            LicensePlan? plan = String(root, "plan", 32) switch { "standard" => LicensePlan.Standard, "enterprise" => LicensePlan.Enterprise, _ => null };
            if (plan is null)
            {
                return problem("plan", "must be \"standard\" or \"enterprise\"");
            }

            if (Features(root) is not { } features)
            {
                return problem("features", "must be a list of at most 64 distinct feature names (a-z, 0-9, '-', '.'; up to 64 characters)");
            }

            if (!root.TryGetProperty("maxUsers", out var max) || max.ValueKind != JsonValueKind.Number || !max.TryGetInt32(out var maxUsers) || maxUsers is < 1 or > 1_000_000)
            {
                return problem("maxUsers", "must be a whole number from 1 to 1000000");
            }

            if (Timestamp(root, "issuedAt") is not { } issuedAt)
            {
                return problem("issuedAt", "must be an RFC 3339 UTC time such as 2026-01-31T00:00:00Z");
            }

            if (Timestamp(root, "expiresAt") is not { } expiresAt || expiresAt <= issuedAt)
            {
                return problem("expiresAt", "must be an RFC 3339 UTC time later than issuedAt");
            }

            var license = new License(licenseId, organizationId, organizationName.Trim(), product, plan.Value, features, maxUsers, issuedAt, expiresAt, text, signer.Fingerprint,
                SignedByConfiguredKey: signer.Source != TrustedLicenseKeys.EmbeddedSource);
            return new LicenseDecoding(license, null, licenseId, product.Id());
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // InvalidOperationException: a string escape that is no text (a lone surrogate such as "\ud800").
            return Refused(LicenseRejection.Malformed("The license payload is not valid JSON (or repeats a field, or escapes a character that is no text)."), claimed);
        }
    }

    /// <summary>
    /// The payload of a key as indented JSON, WITHOUT verifying anything: for showing what a (possibly refused) key
    /// claims, e.g. by the CLI's <c>license verify</c>. Null when the key does not even decode to a JSON payload.
    /// </summary>
    public static string? ReadPayloadForDisplay(string? key)
    {
        var parts = (key ?? "").Trim().Split('.');
        if (parts.Length < 2 || parts[1].Length > MaxKeyLength || FromBase64Url(parts[1]) is not { } payload)
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(StrictUtf8.GetString(payload), JsonOptions);
            return JsonSerializer.Serialize(document.RootElement, IndentedJson);
        }
        catch (Exception e) when (e is JsonException or DecoderFallbackException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>Best effort, for the audit entry of a refusal: the licenseId and product the payload claims.</summary>
    private static (Guid? Id, string? Product) ReadClaims(byte[] payload)
    {
        try
        {
            using var document = JsonDocument.Parse(StrictUtf8.GetString(payload), JsonOptions);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return (null, null);
            }

            Guid? id = String(document.RootElement, "licenseId", 64) is { } text && Guid.TryParseExact(text, "D", out var g) && g != Guid.Empty ? g : null;
            var product = ExactProduct(String(document.RootElement, "product", 64))?.Id();
            return (id, product);
        }
        catch (Exception e) when (e is JsonException or DecoderFallbackException or InvalidOperationException)
        {
            return (null, null);
        }
    }

    /// <summary>The contract's ids exactly (not the console's lenient parsing): "EntraGuard" is not a v1 product.</summary>
    private static Product? ExactProduct(string? id) => Products.All.Cast<Product?>().FirstOrDefault(p => p!.Value.Id() == id);

    private static string? String(JsonElement root, string name, int maxLength) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { } s && s.Length <= maxLength ? s : null;

    private static List<string>? Features(JsonElement root)
    {
        if (!root.TryGetProperty("features", out var array) || array.ValueKind != JsonValueKind.Array || array.GetArrayLength() > 64)
        {
            return null;
        }

        var features = new List<string>();
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String || item.GetString() is not { Length: > 0 and <= 64 } name
                || !name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '.') || features.Contains(name))
            {
                return null;
            }

            features.Add(name);
        }

        return features;
    }

    /// <summary>RFC 3339 in UTC with a "Z" (fractional seconds allowed): one reading, whatever the server's culture.</summary>
    private static DateTimeOffset? Timestamp(JsonElement root, string name) =>
        String(root, name, 40) is { } text && text.EndsWith('Z')
        && DateTimeOffset.TryParseExact(text, ["yyyy-MM-dd'T'HH:mm:ss'Z'", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'"], CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time)
            ? time
            : null;

    /// <summary>Canonical unpadded base64url only, so one license has exactly one key string.</summary>
    private static byte[]? FromBase64Url(string text)
    {
        if (!text.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
        {
            return null;
        }

        try
        {
            var bytes = System.Buffers.Text.Base64Url.DecodeFromChars(text);
            return System.Buffers.Text.Base64Url.EncodeToString(bytes) == text ? bytes : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static LicenseDecoding Refused(LicenseRejection rejection, (Guid? Id, string? Product) claimed = default) =>
        new(null, rejection, claimed.Id, claimed.Product);

    private static string Printable(string text) => new([.. text.Where(c => !char.IsControl(c)).Take(64)]);

    private static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    private static string Day(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
