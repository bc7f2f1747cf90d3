namespace CodeRaft.Admin.Features.Setup;

/// <summary>What the /setup form submits: the setup token from the console and the first Owner's account.</summary>
public sealed class FirstOwnerInput
{
    public string? SetupToken { get; set; }
    public string? Email { get; set; }
    public string? DisplayName { get; set; }
    public string? Password { get; set; }
}
