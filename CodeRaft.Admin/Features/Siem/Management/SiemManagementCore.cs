using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using CodeRaft.Admin.Features.Audit;
using CodeRaft.Admin.Features.Audit.Chain;
using CodeRaft.Admin.Features.Users;
using CodeRaft.Admin.Infrastructure.Data;
using CodeRaft.Admin.Security.Authorization;
using Microsoft.EntityFrameworkCore;

namespace CodeRaft.Admin.Features.Siem.Management;

/// <summary>
/// Adding, editing, enabling/disabling, removing SIEM targets and replaying from a sequence (docs/siem.md, "Managing
/// targets"). NOT for components: the console goes through <see cref="SiemService"/> (step-up first); the CLI calls
/// this with <see cref="UserOperator.HostCli"/>.
///
/// Each change runs in ONE <see cref="AuditWriter.ExecuteAsync{T}"/>: the row and its audit entry commit together or
/// not at all; invalid input is refused before anything is opened. A console user's CURRENT role and status are read
/// from the store inside that transaction; a refusal is audited as denied. Secrets (HEC token, webhook secret, client
/// certificate) are never put into audit details, results or messages — the details are built from an explicit list of
/// non-secret fields. After a commit the delivery engine, when this process runs one, is told to reload.
/// </summary>
public sealed class SiemManagementCore(
    IDbContextFactory<AdminDbContext> contexts,
    AuditWriter audit,
    SiemTargetInputValidator validator,
    TimeProvider time,
    IServiceProvider services)
{
    public const string Category = "siem";
    public const string TargetType = "siem_target";

    public async Task<SiemResult> AddAsync(UserOperator by, SiemTargetInput input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(by);
        ArgumentNullException.ThrowIfNull(input);
        input.HasStoredSecret = false;
        if (await InvalidAsync(input, cancellationToken) is { } invalid)
        {
            return invalid;
        }

        var now = time.GetUtcNow().UtcDateTime;
        var row = new SiemTarget { Id = Guid.CreateVersion7(), Name = "", Endpoint = "", CreatedBy = "", CreatedAt = now, UpdatedAt = now };
        Apply(row, input);

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var result = await audit.ExecuteAsync<SiemResult>(db, async ct =>
        {
            var actor = await LoadOperatorAsync(db, by, ct);
            if (actor.Denial is { } denial)
            {
                return (new SiemResult(SiemOutcome.Denied, denial), [Denied("siem.target_added", actor, "", denial, AuditDetails.Of(("name", row.Name), ("type", row.Type.ToText())))]);
            }

            if (await db.SiemTargets.AnyAsync(t => t.Name == row.Name, ct))
            {
                return (new SiemResult(SiemOutcome.Invalid, $"A target named \"{row.Name}\" exists already; choose another name.", nameof(SiemTargetInput.Name)), []);
            }

            row.CreatedBy = actor.Id;
            db.SiemTargets.Add(row);
            await db.SaveChangesAsync(ct);
            var details = Describe(row);
            details.Insert(0, "id", row.Id.ToString());
            return (new SiemResult(SiemOutcome.Succeeded, $"Added the SIEM target {row.Name} ({row.Type.ToText()}).", Id: row.Id),
                [Event("siem.target_added", actor, row.Id, details)]);
        }, cancellationToken);
        return Notify(result);
    }

    /// <summary>Edits a target. An empty secret or client certificate keeps the stored one (write-only fields).</summary>
    public async Task<SiemResult> UpdateAsync(UserOperator by, Guid id, SiemTargetInput input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(by);
        ArgumentNullException.ThrowIfNull(input);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);

        // Validation needs to know whether a secret is stored (an empty field then keeps it); read outside the
        // transaction for the message, and again inside it for the change.
        var stored = await db.SiemTargets.AsNoTracking().Where(t => t.Id == id).Select(t => new { HasSecret = t.Secret != null && t.Secret != "", t.Type }).SingleOrDefaultAsync(cancellationToken);
        input.HasStoredSecret = stored is not null && stored.HasSecret && stored.Type == input.ParsedType;
        if (await InvalidAsync(input, cancellationToken) is { } invalid)
        {
            return invalid;
        }

        var result = await audit.ExecuteAsync<SiemResult>(db, async ct =>
        {
            var actor = await LoadOperatorAsync(db, by, ct);
            var row = await db.SiemTargets.SingleOrDefaultAsync(t => t.Id == id, ct);
            if (actor.Denial is { } denial)
            {
                return (new SiemResult(SiemOutcome.Denied, denial), [Denied("siem.target_changed", actor, id.ToString(), denial, AuditDetails.Of(("id", id.ToString())))]);
            }

            if (row is null)
            {
                return (new SiemResult(SiemOutcome.NotFound, "No SIEM target has this id."), []);
            }

            var name = SiemTargetInputValidator.Trimmed(input.Name);
            if (await db.SiemTargets.AnyAsync(t => t.Name == name && t.Id != id, ct))
            {
                return (new SiemResult(SiemOutcome.Invalid, $"A target named \"{name}\" exists already; choose another name.", nameof(SiemTargetInput.Name)), []);
            }

            if (string.IsNullOrWhiteSpace(input.Secret) && !input.ParsedType.IsSyslog() && (string.IsNullOrEmpty(row.Secret) || row.Type != input.ParsedType))
            {
                return (new SiemResult(SiemOutcome.Invalid, "Enter the token or secret for the new type.", nameof(SiemTargetInput.Secret)), []);
            }

            // The stored token goes only where it was entered for: pointing a target at another server (scheme, host
            // or port) needs the token typed again, or whoever edits the target could collect it at a server of
            // their own — the "never shown again" promise would be void.
            if (string.IsNullOrWhiteSpace(input.Secret) && !string.IsNullOrEmpty(row.Secret) && !SameServer(row.Endpoint, input.Endpoint))
            {
                return (new SiemResult(SiemOutcome.Invalid, "The endpoint points to another server: enter the token or secret again.", nameof(SiemTargetInput.Secret)), []);
            }

            var before = Describe(row);
            var secretBefore = row.Secret;
            var certificateBefore = row.ClientCertificatePfx;
            Apply(row, input);
            var after = Describe(row);
            var secretReplaced = !string.Equals(secretBefore, row.Secret, StringComparison.Ordinal);
            var certificateReplaced = !string.Equals(certificateBefore, row.ClientCertificatePfx, StringComparison.Ordinal);
            var changedBefore = new JsonObject();
            var changedAfter = new JsonObject();
            foreach (var (key, value) in after)
            {
                if (!JsonNode.DeepEquals(before[key], value))
                {
                    changedBefore[key] = before[key]?.DeepClone();
                    changedAfter[key] = value?.DeepClone();
                }
            }

            if (changedAfter.Count == 0 && !secretReplaced && !certificateReplaced)
            {
                return (new SiemResult(SiemOutcome.Unchanged, $"Nothing changed on the SIEM target {row.Name}.", Id: row.Id), []);
            }

            row.UpdatedAt = time.GetUtcNow().UtcDateTime;
            await db.SaveChangesAsync(ct);
            // Key names avoid the redaction pattern on purpose: these say THAT a credential changed, never what it is.
            return (new SiemResult(SiemOutcome.Succeeded, $"Saved the SIEM target {row.Name}.", Id: row.Id),
                [Event("siem.target_changed", actor, row.Id, AuditDetails.Of(
                    ("id", row.Id.ToString()),
                    ("name", row.Name),
                    ("before", changedBefore),
                    ("after", changedAfter),
                    ("authReplaced", secretReplaced),
                    ("clientCertReplaced", certificateReplaced)))]);
        }, cancellationToken);
        return Notify(result);
    }

    public async Task<SiemResult> SetEnabledAsync(UserOperator by, Guid id, bool enabled, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(by);
        var action = enabled ? "siem.target_enabled" : "siem.target_disabled";
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var result = await audit.ExecuteAsync<SiemResult>(db, async ct =>
        {
            var actor = await LoadOperatorAsync(db, by, ct);
            var row = await db.SiemTargets.SingleOrDefaultAsync(t => t.Id == id, ct);
            if (actor.Denial is { } denial)
            {
                return (new SiemResult(SiemOutcome.Denied, denial), [Denied(action, actor, id.ToString(), denial, AuditDetails.Of(("id", id.ToString())))]);
            }

            if (row is null)
            {
                return (new SiemResult(SiemOutcome.NotFound, "No SIEM target has this id."), []);
            }

            if (row.Enabled == enabled)
            {
                return (new SiemResult(SiemOutcome.Unchanged, $"The SIEM target {row.Name} is already {(enabled ? "enabled" : "disabled")}; nothing was changed.", Id: id), []);
            }

            row.Enabled = enabled;
            row.UpdatedAt = time.GetUtcNow().UtcDateTime;
            await db.SaveChangesAsync(ct);
            return (new SiemResult(SiemOutcome.Succeeded, enabled ? $"Enabled the SIEM target {row.Name}; delivery resumes from its cursor." : $"Disabled the SIEM target {row.Name}; nothing is sent until it is enabled again.", Id: id),
                [Event(action, actor, id, AuditDetails.Of(("id", id.ToString()), ("name", row.Name)))]);
        }, cancellationToken);
        return Notify(result);
    }

    public async Task<SiemResult> RemoveAsync(UserOperator by, Guid id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(by);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var result = await audit.ExecuteAsync<SiemResult>(db, async ct =>
        {
            var actor = await LoadOperatorAsync(db, by, ct);
            var row = await db.SiemTargets.SingleOrDefaultAsync(t => t.Id == id, ct);
            if (actor.Denial is { } denial)
            {
                return (new SiemResult(SiemOutcome.Denied, denial), [Denied("siem.target_removed", actor, id.ToString(), denial, AuditDetails.Of(("id", id.ToString())))]);
            }

            if (row is null)
            {
                return (new SiemResult(SiemOutcome.NotFound, "No SIEM target has this id."), []);
            }

            var delivery = await db.SiemDelivery.SingleOrDefaultAsync(d => d.TargetId == id, ct);
            var details = Describe(row);
            details.Insert(0, "id", id.ToString());
            details["cursor"] = delivery?.Cursor ?? 0;
            if (delivery is not null)
            {
                db.SiemDelivery.Remove(delivery);
            }

            db.SiemTargets.Remove(row);
            await db.SaveChangesAsync(ct);
            return (new SiemResult(SiemOutcome.Succeeded, $"Removed the SIEM target {row.Name}; its stored credentials are deleted.", Id: id),
                [Event("siem.target_removed", actor, id, details)]);
        }, cancellationToken);
        return Notify(result);
    }

    /// <summary>
    /// Delivers again from <paramref name="fromSequence"/> on: the target's cursor moves to <c>fromSequence − 1</c>
    /// (backwards to resend, or forwards to skip). Privileged: skipping forward loses events for that receiver.
    /// </summary>
    public async Task<SiemResult> ReplayAsync(UserOperator by, Guid id, long fromSequence, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(by);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var result = await audit.ExecuteAsync<SiemResult>(db, async ct =>
        {
            var actor = await LoadOperatorAsync(db, by, ct);
            var row = await db.SiemTargets.AsNoTracking().SingleOrDefaultAsync(t => t.Id == id, ct);
            if (actor.Denial is { } denial)
            {
                return (new SiemResult(SiemOutcome.Denied, denial), [Denied("siem.replay_requested", actor, id.ToString(), denial,
                    AuditDetails.Of(("id", id.ToString()), ("fromSequence", fromSequence)))]);
            }

            if (row is null)
            {
                return (new SiemResult(SiemOutcome.NotFound, "No SIEM target has this id."), []);
            }

            var head = await db.AuditEntries.MaxAsync(e => (long?)e.Sequence, ct) ?? 0;
            if (fromSequence < 1 || fromSequence > head + 1)
            {
                return (new SiemResult(SiemOutcome.Invalid, string.Create(CultureInfo.InvariantCulture,
                    $"Replay must start at a sequence from 1 to {head + 1:N0} (the head of the audit log is {head:N0})."), "FromSequence"), []);
            }

            var delivery = await db.SiemDelivery.SingleOrDefaultAsync(d => d.TargetId == id, ct);
            if (delivery is null)
            {
                delivery = new SiemDelivery { TargetId = id };
                db.SiemDelivery.Add(delivery);
            }

            var previous = delivery.Cursor;
            delivery.Cursor = fromSequence - 1;
            await db.SaveChangesAsync(ct);
            return (new SiemResult(SiemOutcome.Succeeded, string.Create(CultureInfo.InvariantCulture,
                    $"The SIEM target {row.Name} receives the audit log again from sequence {fromSequence:N0}{(row.Enabled ? "" : " once it is enabled")}."), Id: id),
                [Event("siem.replay_requested", actor, id, AuditDetails.Of(
                    ("id", id.ToString()), ("name", row.Name), ("fromSequence", fromSequence), ("previousCursor", previous), ("cursor", delivery.Cursor)))]);
        }, cancellationToken);
        return Notify(result);
    }

    /// <summary>All targets by name, without credentials (only whether one is stored).</summary>
    public async Task<IReadOnlyList<SiemTargetSummary>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var rows = await db.SiemTargets.AsNoTracking().ToListAsync(cancellationToken);
        var cursors = await db.SiemDelivery.AsNoTracking().ToDictionaryAsync(d => d.TargetId, d => d.Cursor, cancellationToken);
        return [.. rows.OrderBy(r => r.Name, StringComparer.OrdinalIgnoreCase).Select(r => Summary(r, cursors.GetValueOrDefault(r.Id)))];
    }

    /// <summary>A target as the edit form starts: every field but the write-only ones.</summary>
    public async Task<SiemTargetInput?> EditableAsync(Guid id, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var row = await db.SiemTargets.AsNoTracking().SingleOrDefaultAsync(t => t.Id == id, cancellationToken);
        return row is null ? null : new SiemTargetInput
        {
            Name = row.Name,
            Type = row.Type.ToText(),
            Endpoint = row.Endpoint,
            Format = row.Format.ToText(),
            StructuredDataId = row.StructuredDataId,
            Products = row.Products,
            Categories = row.Categories,
            Outcomes = row.Outcomes,
            TrustedCaPem = row.TrustedCaPem,
            HecIndex = row.HecIndex,
            HecSourceType = row.HecSourceType,
            HecAcknowledgments = row.HecAcknowledgments,
            Enabled = row.Enabled,
            HasStoredSecret = !string.IsNullOrEmpty(row.Secret),
        };
    }

    /// <summary>Whether <paramref name="by"/> may manage SIEM targets now (role and status from the store).</summary>
    public async Task<bool> MayManageAsync(UserOperator by, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(by);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return (await LoadOperatorAsync(db, by, cancellationToken)).Denial is null;
    }

    /// <summary>The delivery engine of this process, when one runs (the CLI has none).</summary>
    public ISiemDeliveryControl? Delivery => services.GetService(typeof(ISiemDeliveryControl)) as ISiemDeliveryControl;

    private async Task<SiemResult?> InvalidAsync(SiemTargetInput input, CancellationToken cancellationToken)
    {
        var validation = await validator.ValidateAsync(input, cancellationToken);
        return validation.IsValid ? null : new SiemResult(SiemOutcome.Invalid, validation.Errors[0].ErrorMessage, validation.Errors[0].PropertyName);
    }

    private SiemResult Notify(SiemResult result)
    {
        if (result.Outcome == SiemOutcome.Succeeded)
        {
            // After the commit: the engine reloads targets and cursors from the store.
            Delivery?.TargetsChanged();
        }

        return result;
    }

    /// <summary>Copies validated input onto the row. Write-only fields: empty keeps the stored value.</summary>
    /// <summary>Same scheme, host and port (URL targets); for host:port targets, the same text.</summary>
    internal static bool SameServer(string before, string? after)
    {
        var next = after?.Trim() ?? "";
        if (Uri.TryCreate(before, UriKind.Absolute, out var a) && Uri.TryCreate(next, UriKind.Absolute, out var b))
        {
            return string.Equals(a.Scheme, b.Scheme, StringComparison.OrdinalIgnoreCase)
                && string.Equals(a.IdnHost, b.IdnHost, StringComparison.OrdinalIgnoreCase)
                && a.Port == b.Port;
        }

        return string.Equals(before.Trim(), next, StringComparison.OrdinalIgnoreCase);
    }

    private static void Apply(SiemTarget row, SiemTargetInput input)
    {
        var type = input.ParsedType;
        row.Name = SiemTargetInputValidator.Trimmed(input.Name);
        row.Type = type;
        row.Endpoint = SiemTargetInputValidator.Trimmed(input.Endpoint);
        row.Format = SiemTargetInputValidator.EffectiveFormat(type, input.Format);
        row.StructuredDataId = input.StructuredDataId ?? SiemTargetInputValidator.DefaultStructuredDataId;
        row.Products = string.Join(' ', SiemTargetInputValidator.Words(input.Products));
        row.Categories = string.Join(' ', SiemTargetInputValidator.Words(input.Categories));
        row.Outcomes = string.Join(' ', SiemTargetInputValidator.Words(input.Outcomes));
        row.TrustedCaPem = input.TrustedCaPem?.Trim() ?? "";
        row.HecIndex = type == SiemTargetType.SplunkHec ? input.HecIndex?.Trim() ?? "" : "";
        row.HecSourceType = type == SiemTargetType.SplunkHec ? input.HecSourceType?.Trim() ?? "" : "";
        row.HecAcknowledgments = type == SiemTargetType.SplunkHec && input.HecAcknowledgments;
        row.Enabled = input.Enabled;
        if (type.IsSyslog())
        {
            row.Secret = null;
        }
        else if (!string.IsNullOrWhiteSpace(input.Secret))
        {
            row.Secret = input.Secret.Trim();
        }

        if (input.RemoveClientCertificate || type == SiemTargetType.SyslogUdp || type == SiemTargetType.SyslogTcp)
        {
            row.ClientCertificatePfx = null;
        }

        if (!string.IsNullOrWhiteSpace(input.ClientCertificatePfx)
            && SiemTargetInputValidator.ClientCertificateError(type, input.ClientCertificatePfx, input.ClientCertificatePassword, out var certificate) is null
            && certificate is not null)
        {
            // Stored without the password (the password is not kept anywhere); the column is encrypted at rest.
            using (certificate)
            {
                row.ClientCertificatePfx = Convert.ToBase64String(certificate.Export(X509ContentType.Pkcs12));
            }
        }
    }

    /// <summary>The non-secret fields of a target, as audit details show them.</summary>
    private static JsonObject Describe(SiemTarget row) => AuditDetails.Of(
        ("name", row.Name),
        ("type", row.Type.ToText()),
        ("endpoint", row.Endpoint),
        ("format", row.Format.ToText()),
        ("sdId", row.StructuredDataId),
        ("products", row.Products),
        ("categories", row.Categories),
        ("outcomes", row.Outcomes),
        ("enabled", row.Enabled),
        ("trustedCa", CertificateSubjects(row.TrustedCaPem)),
        ("clientCert", !string.IsNullOrEmpty(row.ClientCertificatePfx)),
        ("hecIndex", row.HecIndex),
        ("hecSourceType", row.HecSourceType),
        ("hecAck", row.HecAcknowledgments));

    private static string CertificateSubjects(string pem)
    {
        if (string.IsNullOrWhiteSpace(pem) || SiemTargetInputValidator.ParseCertificates(pem) is not { } certificates)
        {
            return "";
        }

        var text = string.Join("; ", certificates.Select(c => $"{c.Subject} ({c.Thumbprint[..16]})"));
        foreach (var certificate in certificates)
        {
            certificate.Dispose();
        }

        return text;
    }

    private static SiemTargetSummary Summary(SiemTarget r, long cursor) => new(r.Id, r.Name, r.Type, r.Endpoint, r.Format, r.StructuredDataId,
        r.Products, r.Categories, r.Outcomes, r.Enabled, !string.IsNullOrEmpty(r.Secret), !string.IsNullOrEmpty(r.ClientCertificatePfx),
        r.TrustedCaPem.Length > 0, r.CreatedAt, r.UpdatedAt, cursor);

    private static Task<StoredOperator> LoadOperatorAsync(AdminDbContext db, UserOperator by, CancellationToken ct) =>
        StoredOperator.LoadAsync(db, by, AdminPermission.ManageSiem, "Only Owners and Administrators can manage SIEM targets.", ct);

    private static AuditEvent Event(string action, StoredOperator actor, Guid id, JsonObject details) => new()
    {
        Category = Category,
        Action = action,
        Actor = actor.Audit,
        TargetType = TargetType,
        TargetId = id.ToString(),
        Details = details,
    };

    private static AuditEvent Denied(string action, StoredOperator actor, string id, string reason, JsonObject details)
    {
        details["reason"] = reason;
        return new AuditEvent
        {
            Category = Category,
            Action = action,
            Outcome = AuditVocabulary.Denied,
            Actor = actor.Audit,
            TargetType = TargetType,
            TargetId = id,
            Details = details,
        };
    }

}

public enum SiemOutcome
{
    Succeeded,
    Unchanged,
    Invalid,
    NotFound,

    /// <summary>The operator may not manage SIEM targets (role or status, read from the store); audited as denied.</summary>
    Denied,
}

/// <summary>The outcome of a change; <see cref="Field"/> names the input field a validation message belongs to.</summary>
public sealed record SiemResult(SiemOutcome Outcome, string Message, string? Field = null, Guid? Id = null)
{
    public bool Succeeded => Outcome == SiemOutcome.Succeeded;
}

/// <summary>A target as lists show it: no credential, only whether one is stored.</summary>
public sealed record SiemTargetSummary(Guid Id, string Name, SiemTargetType Type, string Endpoint, SiemFormat Format, string StructuredDataId,
    string Products, string Categories, string Outcomes, bool Enabled, bool HasSecret, bool HasClientCertificate, bool HasTrustedCa,
    DateTime CreatedAt, DateTime UpdatedAt, long Cursor)
{
    public string Filters
    {
        get
        {
            var parts = new[] { ("products", Products), ("categories", Categories), ("outcomes", Outcomes) }
                .Where(p => p.Item2.Length > 0).Select(p => $"{p.Item1}: {p.Item2}").ToList();
            return parts.Count == 0 ? "everything" : string.Join("; ", parts);
        }
    }
}
