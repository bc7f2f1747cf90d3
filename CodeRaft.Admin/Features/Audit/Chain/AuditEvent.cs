using System.Text.Json.Nodes;

namespace CodeRaft.Admin.Features.Audit.Chain;

/// <summary>Values of the closed vocabularies of CONTRACTS §3.</summary>
public static class AuditVocabulary
{
    /// <summary>The portal's own product name: entries it writes itself (ingested events carry their product's).</summary>
    public const string Admin = "admin";

    public static readonly string[] Products = [Admin, "entraguard", "ravenscan", "redfox-bastion"];
    public static readonly string[] Outcomes = [Success, Failure, Denied];
    public static readonly string[] ActorTypes = ["user", "apikey", "cli", "system", "anonymous"];

    public const string Success = "success";
    public const string Failure = "failure";
    public const string Denied = "denied";
}

/// <summary>Who did it. Build with the factory methods so actor types stay within the vocabulary.</summary>
public sealed record AuditActor(string Type, string Id, string Name)
{
    public static AuditActor System { get; } = new("system", "", "CodeRaft.Admin");

    public static AuditActor Anonymous { get; } = new("anonymous", "", "");

    public static AuditActor Cli { get; } = new("cli", Environment.UserName, "cli");

    public static AuditActor User(string id, string name) => new("user", id, name);

    public static AuditActor ApiKey(string id, string name) => new("apikey", id, name);
}

/// <summary>
/// What a feature reports; <see cref="AuditWriter"/> turns it into a chained <see cref="AuditEntry"/>.
/// <see cref="Details"/> is redacted (secret-looking keys) before it is serialized and hashed.
/// </summary>
public sealed record AuditEvent
{
    public string Product { get; init; } = "admin";
    public required string Category { get; init; }
    public required string Action { get; init; }
    public string Outcome { get; init; } = AuditVocabulary.Success;
    public AuditActor Actor { get; init; } = AuditActor.System;
    public string SourceIp { get; init; } = "";
    public string TargetType { get; init; } = "";
    public string TargetId { get; init; } = "";
    public JsonObject? Details { get; init; }
}
