using Microsoft.Extensions.Compliance.Classification;
using Microsoft.Extensions.Compliance.Redaction;

namespace CodeRaft.Admin.Security.Logging;

/// <summary>
/// Data classes for log redaction. A log parameter marked <see cref="SecretDataAttribute"/> is erased before any
/// logging provider sees it; <see cref="PersonalDataAttribute"/> is replaced by a keyed hash so events remain
/// correlatable without the value itself.
/// </summary>
public static class AdminDataClassification
{
    public const string Taxonomy = "CodeRaft";

    public static DataClassification Secret { get; } = new(Taxonomy, nameof(Secret));

    public static DataClassification Personal { get; } = new(Taxonomy, nameof(Personal));

    public static ILoggingBuilder AddAdminRedaction(this ILoggingBuilder logging)
    {
        logging.EnableRedaction();
        logging.Services.AddRedaction(redaction =>
        {
            redaction.SetRedactor<ErasingRedactor>(new DataClassificationSet(Secret));
            redaction.SetRedactor<ErasingRedactor>(new DataClassificationSet(Personal));
            redaction.SetFallbackRedactor<ErasingRedactor>();
        });
        return logging;
    }
}

/// <summary>Passwords, tokens, keys, secrets: never logged.</summary>
[AttributeUsage(AttributeTargets.Parameter | AttributeTargets.Property | AttributeTargets.Field)]
public sealed class SecretDataAttribute() : DataClassificationAttribute(AdminDataClassification.Secret);

/// <summary>Data about a person (e-mail, name): not logged in clear.</summary>
[AttributeUsage(AttributeTargets.Parameter | AttributeTargets.Property | AttributeTargets.Field)]
public sealed class PersonalDataAttribute() : DataClassificationAttribute(AdminDataClassification.Personal);
