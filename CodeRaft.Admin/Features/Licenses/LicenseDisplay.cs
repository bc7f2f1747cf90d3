using MudBlazor;

namespace CodeRaft.Admin.Features.Licenses;

/// <summary>How a product's license state looks, the same on the Licenses page and the dashboard tile.</summary>
public static class LicenseDisplay
{
    /// <summary>The state as a stable hook (<c>data-state</c>): a state of <see cref="LicenseStates"/>, or "invalid".</summary>
    public static string StateHook(ProductLicense product)
    {
        ArgumentNullException.ThrowIfNull(product);
        return product.Invalid is not null ? "invalid" : product.State;
    }

    /// <summary>The state in words at <paramref name="now"/> (the licensing clock's time).</summary>
    public static string StateText(ProductLicense product, DateTimeOffset now) => product switch
    {
        { Invalid: { } invalid } => $"not valid: {invalid.Message}",
        { License: { } license, State: LicenseStates.Expiring } => $"expiring in {LicenseBanner.DaysText(license.ExpiresAt - now)}",
        { License: { } license, State: LicenseStates.Grace } => $"grace until {LicenseBanner.Date(license.GraceEndsAt)}",
        _ => product?.State ?? "",
    };

    public static Color StateColor(ProductLicense product) => product switch
    {
        { Invalid: not null } => Color.Error,
        { State: LicenseStates.Valid } => Color.Success,
        { State: LicenseStates.Expiring } => Color.Info,
        { State: LicenseStates.Grace } => Color.Warning,
        { State: LicenseStates.Expired } => Color.Error,
        _ => Color.Default,
    };
}
