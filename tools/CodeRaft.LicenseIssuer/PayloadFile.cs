using System.Text.Json;

namespace CodeRaft.LicenseIssuer;

/// <summary>
/// Reads the payload file of <c>issue</c> the way a vendor checks an order before signing it: every mistake is one
/// sentence naming the field, and nothing is signed. Fills <c>v</c>, <c>licenseId</c> and <c>issuedAt</c> when missing.
/// </summary>
internal static class PayloadFile
{
    /// <summary>A payload is a few hundred bytes; anything near this is not a payload file.</summary>
    public const int MaxBytes = 64 * 1024;

    /// <summary>The clock skew tolerated for an explicit issuedAt ahead of this machine's clock.</summary>
    public static readonly TimeSpan FutureTolerance = TimeSpan.FromMinutes(5);

    private const int MaxIdLength = 128;
    private const int MaxNameLength = 200;
    private const int MaxFeatureLength = 64;
    private const int MaxFeatures = 64;
    private const int MaxUsers = 1_000_000;
    private const string Example = "e.g. 2026-11-29T15:00:00Z";

    private static readonly string[] _fields =
        ["v", "licenseId", "organizationId", "organizationName", "product", "plan", "features", "maxUsers", "issuedAt", "expiresAt"];

    public static LicensePayload Parse(ReadOnlySpan<byte> bytes, DateTimeOffset now)
    {
        // Editors on Windows save a BOM; it is not part of the JSON.
        if (bytes.StartsWith("\uFEFF"u8))
        {
            bytes = bytes[3..];
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(bytes.ToArray(), new JsonDocumentOptions { AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Disallow });
        }
        catch (JsonException ex)
        {
            var where = ex.LineNumber is { } line ? $" (line {line + 1}, byte {ex.BytePositionInLine + 1})" : "";
            throw new UsageException($"The payload file is not valid UTF-8 JSON{where}.");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new UsageException("The payload file must hold one JSON object with the license fields.");
            }

            var seen = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
            foreach (var property in root.EnumerateObject())
            {
                // A misspelt field would otherwise vanish from the license silently.
                if (!_fields.Contains(property.Name, StringComparer.Ordinal))
                {
                    throw new UsageException($"The payload has an unknown field '{Printable(property.Name)}'; the fields are {string.Join(", ", _fields)}.");
                }

                if (!seen.TryAdd(property.Name, property.Value))
                {
                    throw new UsageException($"The payload has the field '{property.Name}' twice.");
                }
            }

            var version = seen.TryGetValue("v", out var v) ? ReadInt(v, "v") : LicensePayload.CurrentVersion;
            if (version != LicensePayload.CurrentVersion)
            {
                throw new UsageException($"v must be {LicensePayload.CurrentVersion}, the only license format this tool issues.");
            }

            var licenseId = seen.TryGetValue("licenseId", out var id) ? ReadLicenseId(id) : Guid.NewGuid();
            var organizationId = ReadText(seen, "organizationId", MaxIdLength);
            // The portal's rules (docs/licensing.md, "Payload rules"): a license it would refuse is never signed.
            if (!organizationId.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':'))
            {
                throw new UsageException("organizationId may contain only letters a-z and A-Z, digits, '-', '_', '.' and ':'.");
            }

            var organizationName = ReadText(seen, "organizationName", MaxNameLength);

            var product = ReadText(seen, "product", MaxIdLength);
            if (!LicensePayload.KnownProducts.Contains(product, StringComparer.Ordinal))
            {
                throw new UsageException($"product '{Printable(product)}' is unknown; it must be one of {string.Join(", ", LicensePayload.KnownProducts)}.");
            }

            var plan = ReadText(seen, "plan", MaxIdLength);
            if (!LicensePayload.KnownPlans.Contains(plan, StringComparer.Ordinal))
            {
                throw new UsageException($"plan '{Printable(plan)}' is unknown; it must be one of {string.Join(", ", LicensePayload.KnownPlans)}.");
            }

            var features = ReadFeatures(seen);

            var maxUsers = ReadInt(Required(seen, "maxUsers"), "maxUsers");
            if (maxUsers is < 1 or > MaxUsers)
            {
                throw new UsageException($"maxUsers must be from 1 to {MaxUsers}.");
            }

            // The tool stamps whole seconds; the contract's timestamps have no fraction.
            var issuedAt = seen.TryGetValue("issuedAt", out var issued)
                ? ReadTimestamp(issued, "issuedAt")
                : new DateTimeOffset(now.UtcTicks - (now.UtcTicks % TimeSpan.TicksPerSecond), TimeSpan.Zero);
            var expiresAt = ReadTimestamp(Required(seen, "expiresAt"), "expiresAt");

            if (issuedAt > now + FutureTolerance)
            {
                throw new UsageException($"issuedAt {Rfc3339.Format(issuedAt)} is in the future; a portal refuses such a license until then.");
            }

            if (expiresAt <= issuedAt)
            {
                throw new UsageException($"expiresAt {Rfc3339.Format(expiresAt)} must be after issuedAt {Rfc3339.Format(issuedAt)}.");
            }

            if (expiresAt <= now)
            {
                throw new UsageException($"expiresAt {Rfc3339.Format(expiresAt)} is already in the past.");
            }

            return new LicensePayload(version, licenseId, organizationId, organizationName, product, plan, features, maxUsers, issuedAt, expiresAt);
        }
    }

    private static JsonElement Required(Dictionary<string, JsonElement> fields, string name) =>
        fields.TryGetValue(name, out var value) ? value : throw new UsageException($"The payload lacks the required field '{name}'.");

    private static int ReadInt(JsonElement value, string name) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number)
            ? number
            : throw new UsageException($"{name} must be a whole number.");

    private static Guid ReadLicenseId(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.String || !Guid.TryParseExact(value.GetString(), "D", out var id) || id == Guid.Empty)
        {
            throw new UsageException("licenseId must be a UUID such as 3f2b8c1e-7d4a-4e52-9a0b-6c1d2e3f4a5b, or be left out to get a new one.");
        }

        return id;
    }

    private static string ReadText(Dictionary<string, JsonElement> fields, string name, int maxLength)
    {
        var value = Required(fields, name);
        if (value.ValueKind != JsonValueKind.String)
        {
            throw new UsageException($"{name} must be a string.");
        }

        var text = value.GetString()!;
        if (text.Length == 0 || string.IsNullOrWhiteSpace(text))
        {
            throw new UsageException($"{name} must not be empty.");
        }

        // Portals compare organizationId across licenses: " acme" and "acme" must not both exist.
        if (text.Trim() != text)
        {
            throw new UsageException($"{name} must not start or end with whitespace.");
        }

        if (text.Any(char.IsControl))
        {
            throw new UsageException($"{name} must not contain control characters.");
        }

        if (text.Length > maxLength)
        {
            throw new UsageException($"{name} must be at most {maxLength} characters long.");
        }

        return text;
    }

    private static string[] ReadFeatures(Dictionary<string, JsonElement> fields)
    {
        var value = Required(fields, "features");
        if (value.ValueKind != JsonValueKind.Array)
        {
            throw new UsageException("features must be an array of feature names (it may be empty).");
        }

        var features = new List<string>();
        foreach (var item in value.EnumerateArray())
        {
            var feature = item.ValueKind == JsonValueKind.String ? item.GetString()! : throw new UsageException("Every entry of features must be a string.");
            if (feature.Length is 0 or > MaxFeatureLength || !feature.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '.'))
            {
                throw new UsageException($"The feature '{Printable(feature)}' must be 1 to {MaxFeatureLength} characters of a-z, 0-9, '-' and '.'.");
            }

            if (features.Count == MaxFeatures)
            {
                throw new UsageException($"A license lists at most {MaxFeatures} features.");
            }

            if (features.Contains(feature, StringComparer.Ordinal))
            {
                throw new UsageException($"The feature '{feature}' is listed twice.");
            }

            features.Add(feature);
        }

        return [.. features];
    }

    private static DateTimeOffset ReadTimestamp(JsonElement value, string name) =>
        value.ValueKind == JsonValueKind.String && Rfc3339.TryParseUtc(value.GetString(), allowFraction: false, out var timestamp)
            ? timestamp
            : throw new UsageException($"{name} must be an RFC 3339 UTC timestamp in whole seconds ending in 'Z', {Example}.");

    /// <summary>Echoes user text in a message without letting control characters reach the terminal.</summary>
    internal static string Printable(string text)
    {
        var cleaned = new string([.. text.Select(c => char.IsControl(c) ? '?' : c)]);
        return cleaned.Length <= 64 ? cleaned : cleaned[..64] + "…";
    }
}
