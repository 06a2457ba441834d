namespace ParameterSaliency.Serialization;

/// <summary>
/// The per-user cache of the library for facts about this machine (such as the CPU kernel verdict):
/// <c>$PARAMETER_SALIENCY_CACHE</c> if set, else <c>$XDG_CACHE_HOME/parameter-saliency</c>, else
/// <c>~/.cache/parameter-saliency</c> (on Windows the local application-data folder).
/// </summary>
public static class UserCache
{
    /// <summary>The folder (not created until something is written).</summary>
    public static string Folder
    {
        get
        {
            string? configured = Environment.GetEnvironmentVariable("PARAMETER_SALIENCY_CACHE");
            if (!string.IsNullOrEmpty(configured)) return Path.GetFullPath(configured);
            string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            if (!string.IsNullOrEmpty(xdg)) return Path.Combine(xdg, "parameter-saliency");
            string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            if (OperatingSystem.IsWindows() || string.IsNullOrEmpty(home))
                return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "parameter-saliency");
            return Path.Combine(home, ".cache", "parameter-saliency");
        }
    }
}
