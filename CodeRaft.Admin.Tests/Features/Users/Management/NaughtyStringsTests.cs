using CodeRaft.Admin.Features.Users;
using CodeRaft.Admin.Tests.Features.Audit.Viewer;
using CodeRaft.Admin.Tests.TestSupport;

namespace CodeRaft.Admin.Tests.Features.Users.Management;

/// <summary>The Big List of Naughty Strings through the console's invite: a validation message or stored exactly (trimmed), never an exception.</summary>
public sealed class NaughtyStringsTests : IAsyncLifetime
{
    private readonly TempDirectory _data = new();
    private UsersWorld _world = null!;

    public async Task InitializeAsync() => _world = await UsersWorld.StartAsync(_data.Path, TestSecrets.NewMasterSecret());

    public async Task DisposeAsync()
    {
        await _world.DisposeAsync();
        _data.Dispose();
    }

    [Fact]
    public async Task InviteAsync_EveryNaughtyStringAsAddressNameAndReason_RefusedWithAMessageOrStoredExactly()
    {
        var ownerId = await _world.SeedAsync(AdminRole.Owner);
        var (users, ticket) = await _world.SteppedUpCircuitAsync(ownerId);
        var target = await _world.SeedAsync(AdminRole.Viewer);
        var i = 0;
        foreach (var naughty in BigListOfNaughtyStrings.Load())
        {
            i++;
            var asAddress = await users.InviteAsync(ticket, new InviteUserInput { Email = naughty, Role = AdminRole.Viewer });
            await AssertOutcomeAsync(asAddress, naughty, u => u.Email);

            var asName = await users.InviteAsync(ticket, new InviteUserInput { Email = $"naughty-{i}@example.test", DisplayName = naughty, Role = AdminRole.Viewer });
            await AssertOutcomeAsync(asName, naughty, u => u.DisplayName);

            var asReason = await users.ResetMfaAsync(ticket, target, naughty);
            Assert.True(asReason.Outcome is UserOperationOutcome.Invalid or UserOperationOutcome.Succeeded or UserOperationOutcome.Unchanged, naughty);
        }
    }

    private async Task AssertOutcomeAsync(InviteResult result, string naughty, Func<AdminUser, string?> stored)
    {
        if (result.Outcome == UserOperationOutcome.Invalid)
        {
            Assert.NotEmpty(result.Errors);
            Assert.All(result.Errors, e => Assert.EndsWith(".", e, StringComparison.Ordinal));
            return;
        }

        Assert.True(result.Succeeded, $"{result.Outcome} for {naughty}: {result.Message}");
        Assert.Equal(naughty.Trim(), stored((await _world.UserAsync(result.UserId!.Value))!));
    }
}
