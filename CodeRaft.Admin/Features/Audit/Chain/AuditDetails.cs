using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace CodeRaft.Admin.Features.Audit.Chain;

/// <summary>
/// Serializes details to the compact JSON object that is stored and hashed, after redaction: the value of any
/// key that names a secret is replaced by "[redacted]" at every depth. Redaction happens before hashing, so a
/// secret never enters the chain (and the chain never has to be rewritten to remove one).
/// </summary>
public static partial class AuditDetails
{
    public const string Redacted = "[redacted]";

    // Compact, and readable for non-ASCII names; details are stored and exported, never embedded into HTML raw.
    private static readonly JsonSerializerOptions SerializerOptions = new()
    {
        WriteIndented = false,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static JsonObject Of(params (string Key, object? Value)[] pairs)
    {
        var details = new JsonObject();
        foreach (var (key, value) in pairs)
        {
            details[key] = value is null ? null : JsonSerializer.SerializeToNode(value);
        }

        return details;
    }

    public static string Serialize(JsonObject? details)
    {
        if (details is null || details.Count == 0)
        {
            return "{}";
        }

        var copy = (JsonObject)details.DeepClone();
        Redact(copy);
        return copy.ToJsonString(SerializerOptions);
    }

    public static bool IsSecretKey(string key) => SecretKey().IsMatch(key);

    private static void Redact(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var key in obj.Select(p => p.Key).ToList())
                {
                    if (IsSecretKey(key))
                    {
                        obj[key] = Redacted;
                    }
                    else
                    {
                        Redact(obj[key]);
                    }
                }

                break;
            case JsonArray array:
                foreach (var item in array)
                {
                    Redact(item);
                }

                break;
        }
    }

    [GeneratedRegex("pass(word|phrase)?|secret|token|api[_-]?key|private[_-]?key|credential|authorization|cookie|seed|recovery[_-]?code", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex SecretKey();
}
