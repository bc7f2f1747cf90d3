using FluentValidation;

namespace CodeRaft.Admin.Features.Audit.Chain;

/// <summary>
/// Every event is checked before it is chained: closed vocabularies, sane lengths, no control characters in the
/// one-line fields (they end up in syslog headers and CSV cells). The HTTP ingest API reuses it.
/// </summary>
public sealed class AuditEventValidator : AbstractValidator<AuditEvent>
{
    public const int MaxDetailsBytes = 64 * 1024;

    public AuditEventValidator()
    {
        RuleFor(e => e.Product).Must(p => AuditVocabulary.Products.Contains(p))
            .WithMessage(e => $"product must be one of {string.Join(", ", AuditVocabulary.Products)}.");
        RuleFor(e => e.Outcome).Must(o => AuditVocabulary.Outcomes.Contains(o))
            .WithMessage("outcome must be success, failure or denied.");
        RuleFor(e => e.Actor.Type).Must(t => AuditVocabulary.ActorTypes.Contains(t)).OverridePropertyName("actorType")
            .WithMessage(e => $"actorType must be one of {string.Join(", ", AuditVocabulary.ActorTypes)}.");
        RuleFor(e => e.Category).NotEmpty().MaximumLength(64).Matches("^[a-z][a-z0-9_-]*$")
            .WithMessage("category must be lowercase letters, digits, '-' or '_' (at most 64).");
        RuleFor(e => e.Action).NotEmpty().MaximumLength(128).Matches("^[a-z][a-z0-9_-]*(\\.[a-z0-9_-]+)*$")
            .WithMessage("action must be a dotted lowercase verb such as apikey.created (at most 128).");
        RuleFor(e => e.Actor.Id).MaximumLength(256).Must(NoControlCharacters).OverridePropertyName("actorId");
        RuleFor(e => e.Actor.Name).MaximumLength(256).Must(NoControlCharacters).OverridePropertyName("actorName");
        RuleFor(e => e.SourceIp).MaximumLength(64).Must(NoControlCharacters);
        RuleFor(e => e.TargetType).MaximumLength(64).Must(NoControlCharacters);
        RuleFor(e => e.TargetId).MaximumLength(256).Must(NoControlCharacters);
        RuleFor(e => e.Category).Must(IsWellFormed);
        RuleFor(e => e.Action).Must(IsWellFormed);
        // One serialization for both checks, in the relaxed form the chain stores (AuditDetails.Serialize): the
        // ingest API validates up to 1,000 events a request, so this runs on the hot path.
        RuleFor(e => e.Details).Custom((details, context) =>
        {
            if (details is null)
            {
                return;
            }

            string json;
            try
            {
                json = details.ToJsonString(RelaxedJson);
            }
            catch (InvalidOperationException)
            {
                // A node built from JSON text whose escapes spell a lone surrogate cannot be written at all.
                context.AddFailure("Details", "details must be valid Unicode text.");
                return;
            }

            if (!IsWellFormed(json))
            {
                context.AddFailure("Details", "details must be valid Unicode text.");
            }
            else if (System.Text.Encoding.UTF8.GetByteCount(json) > MaxDetailsBytes)
            {
                context.AddFailure("Details", $"details must be at most {MaxDetailsBytes / 1024} KiB of JSON.");
            }
        });
    }

    private static readonly System.Text.Json.JsonSerializerOptions RelaxedJson = new()
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    // Control characters would break syslog headers and CSV cells; a lone UTF-16 surrogate cannot be stored
    // faithfully (SQLite replaces it, PostgreSQL refuses it).
    private static bool NoControlCharacters(string value) => !value.Any(char.IsControl) && IsWellFormed(value);

    private static bool IsWellFormed(string value) => CodeRaft.Admin.Infrastructure.Text.UnicodeText.IsWellFormedUtf16(value);
}
