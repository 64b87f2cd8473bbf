using Bunit;
using ImapEvents.Infrastructure.Identity;
using ImapEvents.Tests.TestSupport;
using ImapEvents.Web.Components.Layout;
using Microsoft.AspNetCore.Components;

namespace ImapEvents.Tests.Web;

public sealed class LayoutComponentTests : ComponentTestBase
{
    [Fact]
    public void MainLayout_ForAnAdministrator_ShowsNavigationAccountAndPage()
    {
        var auth = Context.AddAuthorization();
        auth.SetAuthorized("admin@example.test");
        auth.SetRoles(Roles.SystemAdministrator);

        var layout = Render<MainLayout>(parameters => parameters
            .Add(l => l.Body, (RenderFragment)(builder => builder.AddMarkupContent(0, "<p id=\"page-body\">Page body</p>"))));

        var links = layout.FindAll("nav a, .mud-nav-link").Select(a => (Text: a.TextContent.Trim(), Href: a.GetAttribute("href"))).ToList();
        Assert.Contains(links, l => l.Text == "Dashboard" && l.Href == "");
        Assert.Contains(links, l => l.Text == "Users" && l.Href == "users");
        Assert.Contains(links, l => l.Text == "Job dashboard" && l.Href == "hangfire");
        Assert.Equal("Page body", layout.Find("#page-body").TextContent);
        Assert.Contains("admin@example.test", layout.Markup, StringComparison.Ordinal);
        Assert.Contains(layout.FindAll("button"), b => b.TextContent.Trim() == "Sign out" && b.GetAttribute("type") == "submit");
        Assert.Equal("Account/Logout", layout.Find("form[method=post]").GetAttribute("action"));
        Assert.Contains(layout.FindAll("button"), b => b.GetAttribute("aria-label") == "Switch to dark mode");
    }

    [Fact]
    public void MainLayout_DarkModeToggle_SwitchesTheLabel()
    {
        Context.AddAuthorization().SetAuthorized("admin@example.test");
        var layout = Render<MainLayout>(parameters => parameters.Add(l => l.Body, (RenderFragment)(_ => { })));

        layout.Find("button[aria-label='Switch to dark mode']").Click();

        Assert.NotEmpty(layout.FindAll("button[aria-label='Switch to light mode']"));
    }
}
