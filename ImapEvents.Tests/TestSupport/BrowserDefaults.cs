using System.Runtime.CompilerServices;
using Microsoft.Playwright;

namespace ImapEvents.Tests.TestSupport;

internal static class BrowserDefaults
{
    /// <summary>
    /// Every browser assertion waits up to 15 s, not Playwright's 5: a round trip through a Blazor circuit on a
    /// busy two-core machine (the whole suite runs there) can take longer than 5 s. It is a wait, not a speed goal.
    /// </summary>
    [ModuleInitializer]
    internal static void WaitLongerForTheBrowser() => Assertions.SetDefaultExpectTimeout(15_000);
}
