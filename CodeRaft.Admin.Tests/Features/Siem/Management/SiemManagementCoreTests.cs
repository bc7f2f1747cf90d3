using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using CodeRaft.Admin.Features.Siem;
using CodeRaft.Admin.Features.Siem.Management;
using CodeRaft.Admin.Features.Users;
using CodeRaft.Admin.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;

namespace CodeRaft.Admin.Tests.Features.Siem.Management;

/// <summary>Add, edit, enable/disable, remove, replay: each audited with its change, secrets never in details, nothing half-saved.</summary>
public sealed class SiemManagementCoreTests : IAsyncLifetime
{
    private readonly TempDirectory _data = new("coderaft-siem-core");
    private SiemWorld _world = null!;

    private SiemManagementCore Core => _world.Core;

    public async Task InitializeAsync() => _world = await SiemWorld.StartAsync(_data.Path);

    public async Task DisposeAsync()
    {
        await _world.DisposeAsync();
        _data.Dispose();
    }

    [Fact]
    public async Task AddAsync_Webhook_StoresEncryptedSecretAuditsWithoutItAndNotifiesEngine()
    {
        var secret = SiemTargetInputValidatorTests.WebhookSecret();
        var input = SiemTargetInputValidatorTests.Webhook(secret);
        input.Products = "entraguard, admin";
        input.Outcomes = "denied failure";

        var result = await Core.AddAsync(UserOperator.HostCli, input);

        Assert.True(result.Succeeded, result.Message);
        var row = Assert.Single(await _world.TargetsAsync());
        Assert.Equal((result.Id, "Hook", SiemTargetType.Webhook, SiemFormat.Json, secret, "entraguard admin", "denied failure", "cli"),
            (row.Id, row.Name, row.Type, row.Format, row.Secret, row.Products, row.Outcomes, row.CreatedBy));
        Assert.Equal(1, _world.Delivery.Changes);

        var entry = Assert.Single(await _world.SiemAuditAsync());
        Assert.Equal(("siem.target_added", "success", "cli", "siem_target", row.Id.ToString()), (entry.Action, entry.Outcome, entry.ActorType, entry.TargetType, entry.TargetId));
        var details = JsonDocument.Parse(entry.Details).RootElement;
        Assert.Equal("https://hooks.example.com/coderaft", details.GetProperty("endpoint").GetString());
        Assert.DoesNotContain(secret, entry.Details, StringComparison.Ordinal);
        Assert.DoesNotContain(secret[6..], string.Join("\n", (await _world.AllAuditAsync()).Select(e => e.Details)), StringComparison.Ordinal);
        Assert.DoesNotContain(secret, result.Message, StringComparison.Ordinal);

        // Encrypted at rest: the raw column does not hold the plaintext.
        await using var db = await _world.Users.Store.Contexts.CreateDbContextAsync();
        var connection = db.Database.GetDbConnection();
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT secret FROM siem_targets";
        var raw = Assert.IsType<byte[]>(await command.ExecuteScalarAsync());
        Assert.DoesNotContain(secret[6..], System.Text.Encoding.Latin1.GetString(raw), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddAsync_InvalidInput_SavesAndAuditsNothing()
    {
        var input = SiemTargetInputValidatorTests.Webhook("whsec_short");

        var result = await Core.AddAsync(UserOperator.HostCli, input);

        Assert.Equal((SiemOutcome.Invalid, nameof(SiemTargetInput.Secret)), (result.Outcome, result.Field));
        Assert.Empty(await _world.TargetsAsync());
        Assert.Empty(await _world.SiemAuditAsync());
        Assert.Equal(0, _world.Delivery.Changes);
    }

    [Fact]
    public async Task AddAsync_DuplicateName_RefusedWithFieldMessage()
    {
        Assert.True((await Core.AddAsync(UserOperator.HostCli, SiemTargetInputValidatorTests.Syslog())).Succeeded);

        var again = await Core.AddAsync(UserOperator.HostCli, SiemTargetInputValidatorTests.Syslog("other.example.com:514"));

        Assert.Equal((SiemOutcome.Invalid, nameof(SiemTargetInput.Name)), (again.Outcome, again.Field));
        Assert.Single(await _world.TargetsAsync());
        Assert.Single(await _world.SiemAuditAsync());
    }

    [Fact]
    public async Task AddAsync_ClientCertificateWithPassword_StoredWithKeyWithoutPassword()
    {
        using var certificate = SiemTargetInputValidatorTests.SelfSigned("CN=client");
        var input = SiemTargetInputValidatorTests.Syslog();
        input.ClientCertificatePfx = Convert.ToBase64String(certificate.Export(X509ContentType.Pkcs12, "pw"));
        input.ClientCertificatePassword = "pw";

        var result = await Core.AddAsync(UserOperator.HostCli, input);

        Assert.True(result.Succeeded, result.Message);
        var row = Assert.Single(await _world.TargetsAsync());
        using var stored = X509CertificateLoader.LoadPkcs12(Convert.FromBase64String(row.ClientCertificatePfx!), null);
        Assert.True(stored.HasPrivateKey);
        Assert.Equal(certificate.Thumbprint, stored.Thumbprint);
        var details = (await _world.SiemAuditAsync())[0].Details;
        Assert.DoesNotContain(row.ClientCertificatePfx!, details, StringComparison.Ordinal);
        Assert.Contains("\"clientCert\":true", details, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UpdateAsync_EmptySecret_KeepsStoredAndAuditsBeforeAfter()
    {
        var secret = SiemTargetInputValidatorTests.WebhookSecret();
        var id = (await Core.AddAsync(UserOperator.HostCli, SiemTargetInputValidatorTests.Webhook(secret))).Id!.Value;
        var edit = (await Core.EditableAsync(id))!;
        Assert.Null(edit.Secret);
        Assert.True(edit.HasStoredSecret);
        edit.Endpoint = "https://hooks.example.com/v2";
        edit.Categories = "auth siem";

        var result = await Core.UpdateAsync(UserOperator.HostCli, id, edit);

        Assert.True(result.Succeeded, result.Message);
        var row = Assert.Single(await _world.TargetsAsync());
        Assert.Equal((secret, "https://hooks.example.com/v2", "auth siem"), (row.Secret, row.Endpoint, row.Categories));
        var entry = (await _world.SiemAuditAsync())[^1];
        Assert.Equal("siem.target_changed", entry.Action);
        var details = JsonDocument.Parse(entry.Details).RootElement;
        Assert.Equal("https://hooks.example.com/coderaft", details.GetProperty("before").GetProperty("endpoint").GetString());
        Assert.Equal("https://hooks.example.com/v2", details.GetProperty("after").GetProperty("endpoint").GetString());
        Assert.Equal("auth siem", details.GetProperty("after").GetProperty("categories").GetString());
        Assert.False(details.GetProperty("before").TryGetProperty("name", out _)); // unchanged fields are left out
        Assert.False(details.GetProperty("authReplaced").GetBoolean());
        Assert.DoesNotContain(secret, entry.Details, StringComparison.Ordinal);
        Assert.Equal(2, _world.Delivery.Changes);
    }

    [Fact]
    public async Task UpdateAsync_OtherServerWithoutSecret_RefusedSoTheStoredTokenCannotBeRedirected()
    {
        var secret = SiemTargetInputValidatorTests.WebhookSecret();
        var id = (await Core.AddAsync(UserOperator.HostCli, SiemTargetInputValidatorTests.Webhook(secret))).Id!.Value;
        var edit = (await Core.EditableAsync(id))!;
        edit.Endpoint = "https://collector.attacker.example/coderaft";

        var result = await Core.UpdateAsync(UserOperator.HostCli, id, edit);

        Assert.Equal(SiemOutcome.Invalid, result.Outcome);
        Assert.Equal("The endpoint points to another server: enter the token or secret again.", result.Message);
        Assert.Equal("https://hooks.example.com/coderaft", Assert.Single(await _world.TargetsAsync()).Endpoint);
    }

    [Fact]
    public async Task UpdateAsync_NewSecret_ReplacesItAndSaysSoWithoutTheValue()
    {
        var id = (await Core.AddAsync(UserOperator.HostCli, SiemTargetInputValidatorTests.Hec())).Id!.Value;
        var edit = (await Core.EditableAsync(id))!;
        edit.Secret = "0f0e0d0c-0b0a-0908-0706-050403020100";

        Assert.True((await Core.UpdateAsync(UserOperator.HostCli, id, edit)).Succeeded);

        Assert.Equal("0f0e0d0c-0b0a-0908-0706-050403020100", Assert.Single(await _world.TargetsAsync()).Secret);
        var entry = (await _world.SiemAuditAsync())[^1];
        Assert.Contains("\"authReplaced\":true", entry.Details, StringComparison.Ordinal);
        Assert.DoesNotContain("0f0e0d0c", entry.Details, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UpdateAsync_SwitchToWebhookWithoutSecret_RefusedNothingChanged()
    {
        var id = (await Core.AddAsync(UserOperator.HostCli, SiemTargetInputValidatorTests.Hec())).Id!.Value;
        var edit = (await Core.EditableAsync(id))!;
        edit.Type = "webhook";
        edit.Endpoint = "https://hooks.example.com/x";

        var result = await Core.UpdateAsync(UserOperator.HostCli, id, edit);

        Assert.Equal((SiemOutcome.Invalid, nameof(SiemTargetInput.Secret)), (result.Outcome, result.Field));
        Assert.Equal(SiemTargetType.SplunkHec, Assert.Single(await _world.TargetsAsync()).Type);
        Assert.Single(await _world.SiemAuditAsync());
    }

    [Fact]
    public async Task UpdateAsync_InvalidInput_NothingSaved()
    {
        var id = (await Core.AddAsync(UserOperator.HostCli, SiemTargetInputValidatorTests.Syslog())).Id!.Value;
        var edit = (await Core.EditableAsync(id))!;
        edit.Name = "Renamed";
        edit.Endpoint = "siem.example.com:99999";

        var result = await Core.UpdateAsync(UserOperator.HostCli, id, edit);

        Assert.Equal((SiemOutcome.Invalid, nameof(SiemTargetInput.Endpoint)), (result.Outcome, result.Field));
        Assert.Equal("Graylog", Assert.Single(await _world.TargetsAsync()).Name);
        Assert.Single(await _world.SiemAuditAsync());
    }

    [Fact]
    public async Task UpdateAsync_NoChange_Unchanged()
    {
        var id = (await Core.AddAsync(UserOperator.HostCli, SiemTargetInputValidatorTests.Syslog())).Id!.Value;

        var result = await Core.UpdateAsync(UserOperator.HostCli, id, (await Core.EditableAsync(id))!);

        Assert.Equal(SiemOutcome.Unchanged, result.Outcome);
        Assert.Single(await _world.SiemAuditAsync());
    }

    [Fact]
    public async Task SetEnabledAsync_DisableEnable_AuditedOnceEach()
    {
        var id = (await Core.AddAsync(UserOperator.HostCli, SiemTargetInputValidatorTests.Syslog())).Id!.Value;

        Assert.True((await Core.SetEnabledAsync(UserOperator.HostCli, id, false)).Succeeded);
        Assert.Equal(SiemOutcome.Unchanged, (await Core.SetEnabledAsync(UserOperator.HostCli, id, false)).Outcome);
        Assert.False(Assert.Single(await _world.TargetsAsync()).Enabled);
        Assert.True((await Core.SetEnabledAsync(UserOperator.HostCli, id, true)).Succeeded);

        Assert.Equal(["siem.target_added", "siem.target_disabled", "siem.target_enabled"], (await _world.SiemAuditAsync()).Select(e => e.Action));
        Assert.Equal(SiemOutcome.NotFound, (await Core.SetEnabledAsync(UserOperator.HostCli, Guid.NewGuid(), true)).Outcome);
    }

    [Fact]
    public async Task RemoveAsync_Existing_RemovesTargetAndDeliveryAudited()
    {
        var id = (await Core.AddAsync(UserOperator.HostCli, SiemTargetInputValidatorTests.Syslog())).Id!.Value;
        Assert.True((await Core.ReplayAsync(UserOperator.HostCli, id, 1)).Succeeded);

        var result = await Core.RemoveAsync(UserOperator.HostCli, id);

        Assert.True(result.Succeeded, result.Message);
        Assert.Empty(await _world.TargetsAsync());
        Assert.Null(await _world.DeliveryRowAsync(id));
        Assert.Equal("siem.target_removed", (await _world.SiemAuditAsync())[^1].Action);
        Assert.Equal(SiemOutcome.NotFound, (await Core.RemoveAsync(UserOperator.HostCli, id)).Outcome);
    }

    [Fact]
    public async Task ReplayAsync_ValidSequence_MovesCursorToNMinusOne()
    {
        var id = (await Core.AddAsync(UserOperator.HostCli, SiemTargetInputValidatorTests.Syslog())).Id!.Value;
        var head = (await _world.AllAuditAsync())[^1].Sequence;

        var result = await Core.ReplayAsync(UserOperator.HostCli, id, head);

        Assert.True(result.Succeeded, result.Message);
        Assert.Equal(head - 1, (await _world.DeliveryRowAsync(id))!.Cursor);
        var entry = (await _world.SiemAuditAsync())[^1];
        Assert.Equal("siem.replay_requested", entry.Action);
        var details = JsonDocument.Parse(entry.Details).RootElement;
        Assert.Equal((head, 0L, head - 1), (details.GetProperty("fromSequence").GetInt64(), details.GetProperty("previousCursor").GetInt64(), details.GetProperty("cursor").GetInt64()));

        Assert.True((await Core.ReplayAsync(UserOperator.HostCli, id, 1)).Succeeded);
        Assert.Equal(0, (await _world.DeliveryRowAsync(id))!.Cursor);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    [InlineData(1_000_000)]
    public async Task ReplayAsync_OutOfRange_RefusedCursorUnchanged(long from)
    {
        var id = (await Core.AddAsync(UserOperator.HostCli, SiemTargetInputValidatorTests.Syslog())).Id!.Value;

        var result = await Core.ReplayAsync(UserOperator.HostCli, id, from);

        Assert.Equal(SiemOutcome.Invalid, result.Outcome);
        Assert.Contains("Replay must start at a sequence from 1 to", result.Message, StringComparison.Ordinal);
        Assert.Null(await _world.DeliveryRowAsync(id));
    }

    [Theory]
    [InlineData(AdminRole.Auditor)]
    [InlineData(AdminRole.Viewer)]
    public async Task Operations_RoleWithoutManageSiem_DeniedAndAudited(AdminRole role)
    {
        var user = UserOperator.ConsoleUser(await _world.SeedAsync(role));
        var id = (await Core.AddAsync(UserOperator.HostCli, SiemTargetInputValidatorTests.Syslog())).Id!.Value;

        var other = SiemTargetInputValidatorTests.Syslog("x.example.com:514");
        other.Name = "Other";
        Assert.Equal(SiemOutcome.Denied, (await Core.AddAsync(user, other)).Outcome);
        Assert.Equal(SiemOutcome.Denied, (await Core.SetEnabledAsync(user, id, false)).Outcome);
        Assert.Equal(SiemOutcome.Denied, (await Core.ReplayAsync(user, id, 1)).Outcome);
        Assert.Equal(SiemOutcome.Denied, (await Core.RemoveAsync(user, id)).Outcome);

        Assert.Single(await _world.TargetsAsync());
        var denied = (await _world.SiemAuditAsync()).Skip(1).ToList();
        Assert.Equal(["siem.target_added", "siem.target_disabled", "siem.replay_requested", "siem.target_removed"], denied.Select(e => e.Action));
        Assert.All(denied, e => Assert.Equal(("denied", "user"), (e.Outcome, e.ActorType)));
        Assert.False(await Core.MayManageAsync(user));
    }

    [Fact]
    public async Task Operations_Administrator_Allowed()
    {
        var admin = UserOperator.ConsoleUser(await _world.SeedAsync(AdminRole.Administrator));

        var result = await Core.AddAsync(admin, SiemTargetInputValidatorTests.Syslog());

        Assert.True(result.Succeeded, result.Message);
        Assert.Equal(admin.UserId.ToString(), Assert.Single(await _world.TargetsAsync()).CreatedBy);
    }

    [Fact]
    public async Task AddAsync_NaughtyNamesAndEndpoints_StoredExactlyOrRefusedNeverHalfSaved()
    {
        var count = 0;
        foreach (var naughty in CodeRaft.Admin.Tests.Features.Audit.Viewer.BigListOfNaughtyStrings.Sample)
        {
            var named = SiemTargetInputValidatorTests.Syslog();
            named.Name = naughty;
            var result = await Core.AddAsync(UserOperator.HostCli, named);
            if (result.Succeeded)
            {
                count++;
                Assert.Contains(await _world.TargetsAsync(), t => t.Id == result.Id && t.Name == naughty.Trim());
            }
            else
            {
                Assert.Equal(SiemOutcome.Invalid, result.Outcome);
            }

            var pointed = SiemTargetInputValidatorTests.Webhook();
            pointed.Name = $"n{count++}";
            pointed.Endpoint = naughty;
            Assert.Equal(SiemOutcome.Invalid, (await Core.AddAsync(UserOperator.HostCli, pointed)).Outcome);
        }

        Assert.Equal((await _world.TargetsAsync()).Count, (await _world.SiemAuditAsync()).Count);
    }
}
