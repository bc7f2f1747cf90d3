using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CodeRaft.Admin.Features.Audit.Chain;

namespace CodeRaft.Admin.Features.ApiKeys.Api;

/// <summary>
/// Turns the body of <c>POST /api/v1/audit/events</c> into audit events, strictly (ADR-009): a JSON array of 1 to
/// 1000 objects, only the eleven fields of CONTRACTS §6, strings where strings belong, <c>details</c> an object, the
/// five required fields present, every event valid for <see cref="AuditEventValidator"/> (checked by the writer, see
/// <see cref="Validate"/>). Any fault refuses the whole
/// request (nothing is written), naming each offending field by its JSON path, e.g. <c>$[3].product</c>.
///
/// The body is read as a <see cref="JsonDocument"/> and checked field by field instead of being deserialized into a
/// class with <c>JsonUnmappedMemberHandling.Disallow</c>: the serializer stops at the first fault and words it in
/// .NET type names, while a client fixing a batch of 1000 events wants every fault, in its own terms.
/// </summary>
public static class AuditIngestParser
{
    public const int MaxEvents = 1000;

    /// <summary>The body limit of the ingest endpoint: 1000 events of about 4 KiB each.</summary>
    public const long MaxBodyBytes = 4 * 1024 * 1024;

    /// <summary>What the portal adds to every ingested event's details: the key that sent it and from where.</summary>
    public const string ReservedDetailsKey = "_ingest";

    /// <summary>At most this many field errors are reported; the rest are counted.</summary>
    public const int MaxReportedErrors = 100;

    public static readonly string[] Fields =
        ["product", "category", "action", "outcome", "actorType", "actorId", "actorName", "sourceIp", "targetType", "targetId", "details"];

    public static readonly string[] RequiredFields = ["product", "category", "action", "outcome", "actorType"];

    /// <summary>The products that send events; <c>admin</c> entries are the portal's own and cannot be sent with a key.</summary>
    public static readonly string[] Products = [.. AuditVocabulary.Products.Where(p => p != "admin")];

    // Duplicate names are refused at every depth (an object meaning one thing to first-wins and another to
    // last-wins readers, e.g. a SIEM, must not enter the chain).
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 32, AllowDuplicateProperties = false };
    private static readonly AuditEventValidator Validator = new();

    public sealed record Result(IReadOnlyList<AuditEvent> Events, string? Detail, IDictionary<string, string[]> Errors)
    {
        public bool IsValid => Detail is null;
    }

    /// <param name="keyIdentifier">The sending key's identifier (its first 12 characters), recorded in details.</param>
    /// <param name="remoteAddress">The address the request came from, recorded in details.</param>
    public static Result Parse(ReadOnlyMemory<byte> body, string keyIdentifier, string remoteAddress)
    {
        JsonElement root;
        try
        {
            // One copy of the whole body that outlives the pooled document: the events' details wrap its elements
            // (cloning each details object instead cost more than the rest of the parse).
            using var document = JsonDocument.Parse(body, DocumentOptions);
            root = document.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            // The reader's messages name the position and the fault, never a .NET type.
            return Refuse($"The body is not valid JSON: {ex.Message}");
        }
        catch (InvalidOperationException)
        {
            // The duplicate-name check reads every field name; one spelled with a lone surrogate escape cannot be read.
            return Refuse("The body has a field name that is not valid Unicode text (a lone UTF-16 surrogate escape).");
        }

        if (root.ValueKind != JsonValueKind.Array)
        {
            return Refuse($"The body must be a JSON array of 1 to {MaxEvents} events, not {Describe(root.ValueKind)}.");
        }

        var count = root.GetArrayLength();
        if (count is 0 or > MaxEvents)
        {
            return Refuse(string.Create(CultureInfo.InvariantCulture, $"A request carries 1 to {MaxEvents} events; this one has {count}."));
        }

        // JSON escapes can spell text that is not Unicode (a lone surrogate, "\ud800"): valid JSON, but no string can
        // hold it faithfully. Found here, by path, before any field is read.
        if (FindInvalidText(root, "$") is { } invalid)
        {
            return Refuse($"{invalid} is not valid Unicode text (a lone UTF-16 surrogate escape).",
                new Dictionary<string, string[]> { [invalid] = ["is not valid Unicode text."] });
        }

        var errors = new Errors();
        var events = new List<AuditEvent>(count);
        var ingest = new JsonObject { ["key"] = keyIdentifier, ["from"] = remoteAddress };
        var index = 0;
        foreach (var element in root.EnumerateArray())
        {
            if (ReadEvent(element, index, errors, ingest) is { } auditEvent)
            {
                events.Add(auditEvent);
            }

            index++;
        }

        return errors.Count == 0 ? new Result(events, null, errors.ByPath) : Refuse(errors.Summary(), errors.ByPath);
    }

    /// <summary>The path of the first string or field name that is not valid UTF-16 text, or null.</summary>
    private static string? FindInvalidText(JsonElement element, string path)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                return IsReadable(element) ? null : path;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    if (FindInvalidText(item, string.Create(CultureInfo.InvariantCulture, $"{path}[{index++}]")) is { } found)
                    {
                        return found;
                    }
                }

                return null;
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    string name;
                    try
                    {
                        name = property.Name;
                    }
                    catch (InvalidOperationException)
                    {
                        return $"{path} (a field name)";
                    }

                    if (FindInvalidText(property.Value, $"{path}.{name}") is { } found)
                    {
                        return found;
                    }
                }

                return null;
            default:
                return null;
        }

        static bool IsReadable(JsonElement text)
        {
            try
            {
                return text.GetString() is { } value && CodeRaft.Admin.Infrastructure.Text.UnicodeText.IsWellFormedUtf16(value);
            }
            catch (InvalidOperationException)
            {
                return false;
            }
        }
    }

    private static AuditEvent? ReadEvent(JsonElement element, int index, Errors errors, JsonObject ingest)
    {
        var path = string.Create(CultureInfo.InvariantCulture, $"$[{index}]");
        if (element.ValueKind != JsonValueKind.Object)
        {
            errors.Add(path, $"must be an event object, not {Describe(element.ValueKind)}.");
            return null;
        }

        var values = new string?[Fields.Length - 1];
        JsonObject? details = null;
        var seen = new bool[Fields.Length];
        var before = errors.Count;
        foreach (var property in element.EnumerateObject())
        {
            var field = Array.IndexOf(Fields, property.Name); // exact, case-sensitive: a near miss is an unknown field
            var fieldPath = $"{path}.{property.Name}";
            if (field < 0)
            {
                errors.Add(fieldPath, $"is not a field of an event; the fields are {string.Join(", ", Fields)}.");
                continue;
            }

            if (seen[field])
            {
                errors.Add(fieldPath, "appears more than once.");
                continue;
            }

            seen[field] = true;
            var value = property.Value;
            if (property.Name == "details")
            {
                if (value.ValueKind == JsonValueKind.Object)
                {
                    details = JsonObject.Create(value);
                    if (details!.ContainsKey(ReservedDetailsKey))
                    {
                        errors.Add($"{fieldPath}.{ReservedDetailsKey}", "is reserved: the portal records the sending key there.");
                    }
                }
                else if (value.ValueKind != JsonValueKind.Null)
                {
                    errors.Add(fieldPath, $"must be a JSON object, not {Describe(value.ValueKind)}.");
                }

                continue;
            }

            if (value.ValueKind == JsonValueKind.String)
            {
                values[field] = value.GetString();
            }
            else if (value.ValueKind != JsonValueKind.Null || RequiredFields.Contains(property.Name))
            {
                errors.Add(fieldPath, $"must be a string, not {Describe(value.ValueKind)}.");
            }
        }

        foreach (var required in RequiredFields)
        {
            if (!seen[Array.IndexOf(Fields, required)])
            {
                errors.Add($"{path}.{required}", "is required.");
            }
        }

        if (errors.Count > before)
        {
            return null;
        }

        var product = values[0]!;
        if (!Products.Contains(product, StringComparer.Ordinal))
        {
            errors.Add($"{path}.product", $"must be one of {string.Join(", ", Products)} (the portal writes its own 'admin' entries).");
            return null;
        }

        details ??= [];
        details[ReservedDetailsKey] = ingest.DeepClone();
        var auditEvent = new AuditEvent
        {
            Product = product,
            Category = values[1]!,
            Action = values[2]!,
            Outcome = values[3]!,
            Actor = new AuditActor(values[4]!, values[5] ?? "", values[6] ?? ""),
            SourceIp = values[7] ?? "",
            TargetType = values[8] ?? "",
            TargetId = values[9] ?? "",
            Details = details,
        };
        return auditEvent;
    }

    /// <summary>
    /// The chain's own rules (<see cref="AuditEventValidator"/>) per event, with the events' JSON paths. The writer
    /// checks every event before it writes anything, so the endpoint runs this only when the writer refused a batch —
    /// the rules are not paid twice for every valid batch.
    /// </summary>
    public static Result Validate(IReadOnlyList<AuditEvent> events)
    {
        var errors = new Errors();
        for (var index = 0; index < events.Count; index++)
        {
            foreach (var failure in Validator.Validate(events[index]).Errors)
            {
                errors.Add(string.Create(CultureInfo.InvariantCulture, $"$[{index}].{JsonName(failure.PropertyName)}"), Message(failure));
            }
        }

        return errors.Count == 0 ? new Result(events, null, errors.ByPath) : Refuse(errors.Summary(), errors.ByPath);
    }

    // The validator names C# properties (Product, SourceIp) or the overridden event names (actorType); the client
    // knows the JSON names.
    private static string JsonName(string property) => property.Length == 0 ? property : char.ToLowerInvariant(property[0]) + property[1..];

    private static string Message(FluentValidation.Results.ValidationFailure failure) => failure.ErrorCode switch
    {
        "PredicateValidator" when failure.ErrorMessage.StartsWith("The specified condition", StringComparison.Ordinal) =>
            "must not contain control characters or invalid Unicode.",
        _ => failure.ErrorMessage,
    };

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };

    private static Result Refuse(string detail, IDictionary<string, string[]>? errors = null) =>
        new([], detail, errors ?? new Dictionary<string, string[]>());

    private sealed class Errors
    {
        private readonly List<(string Path, string Message)> _all = [];

        public int Count => _all.Count;

        public Dictionary<string, string[]> ByPath => _all.Take(MaxReportedErrors)
            .GroupBy(e => e.Path, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Select(e => e.Message).ToArray(), StringComparer.Ordinal);

        public void Add(string path, string message) => _all.Add((path, message));

        public string Summary()
        {
            var (path, message) = _all[0];
            var first = $"{path} {message}";
            return _all.Count == 1
                ? $"Nothing was written: {first}"
                : string.Create(CultureInfo.InvariantCulture, $"Nothing was written: {first} ({_all.Count - 1} more in 'errors'{(_all.Count > MaxReportedErrors ? $", of which the first {MaxReportedErrors} are listed" : "")}).");
        }
    }
}
