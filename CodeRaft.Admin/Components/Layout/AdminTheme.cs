using MudBlazor;

namespace CodeRaft.Admin.Components.Layout;

/// <summary>The portal's palette. System fonts only: the portal loads nothing from the internet.</summary>
public static class AdminTheme
{
    public static MudTheme Theme { get; } = new()
    {
        PaletteLight = new PaletteLight
        {
            Primary = "#1f4e79",
            Secondary = "#00897b",
            AppbarBackground = "#1f4e79",
        },
        PaletteDark = new PaletteDark
        {
            Primary = "#64a6e8",
            Secondary = "#4db6ac",
        },
        Typography = new Typography
        {
            Default = new DefaultTypography
            {
                FontFamily = ["system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica Neue", "Arial", "sans-serif"],
            },
        },
    };
}
