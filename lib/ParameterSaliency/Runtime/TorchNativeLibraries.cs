using System.Reflection;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using ParameterSaliency.Serialization;
using TorchSharp;

namespace ParameterSaliency.Runtime;

/// <summary>
/// Makes TorchSharp's native libraries load where the library is used from NuGet packages rather than a
/// build output folder (<c>#r "nuget: ParameterSaliency"</c> in a notebook kernel, a file-based app, any
/// project): on Linux x86-64, when the libLibTorchSharp.so TorchSharp would load needs a GLIBCXX version
/// the system's libstdc++ lacks (TorchSharp 0.107 on Debian 12), or when libtorch does not sit beside it
/// (so the system loader would bind another libtorch, such as Debian's), libtorch is loaded from its own
/// package folder and a copy of libLibTorchSharp.so with that need marked weak is loaded from the user
/// cache. TorchSharp then finds both already loaded, by name. The NuGet cache is never modified. Runs
/// once, before anything loads libtorch; in the usual case (a build output folder with the patched copy
/// beside libtorch) it does nothing.
/// </summary>
internal static class TorchNativeLibraries
{
    const string Bridge = "libLibTorchSharp.so";
    static readonly object Gate = new();
    static bool prepared;

    /// <summary>What was done, for diagnostics: null when nothing was needed.</summary>
    public static string? Report { get; private set; }

    /// <summary>Idempotent; never throws (a failure is kept in <see cref="Report"/> for <see cref="NativeTorch"/>'s diagnosis).</summary>
    public static void Prepare()
    {
        if (prepared) return;
        lock (Gate)
        {
            if (prepared) return;
            prepared = true;
            if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64) return;
            try
            {
                Report = PrepareLinux();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or DllNotFoundException or BadImageFormatException or InvalidOperationException)
            {
                Report = "Preparing TorchSharp's native libraries failed: " + e.Message;
            }
        }
    }

    /// <summary>The folder holding the libtorch_cpu.so this process uses (found as <see cref="Prepare"/> finds it), or null.</summary>
    public static string? LibTorchFolder => Locate().LibTorch;

    static (string TorchSharp, string? Bridge, string? LibTorch) Locate()
    {
        string torchSharpFolder = Path.GetDirectoryName(typeof(torch).Assembly.Location) ?? "";
        string? bridgeFolder = SearchFolders(torchSharpFolder).FirstOrDefault(folder => File.Exists(Path.Combine(folder, Bridge)));
        string? libtorchFolder = (bridgeFolder is null ? [] : new[] { bridgeFolder }).Concat(SearchFolders(torchSharpFolder)).Concat(LibTorchPackageFolders(torchSharpFolder))
            .FirstOrDefault(folder => File.Exists(Path.Combine(folder, "libtorch_cpu.so")));
        return (torchSharpFolder, bridgeFolder, libtorchFolder);
    }

    static string? PrepareLinux()
    {
        var (torchSharpFolder, bridgeFolder, libtorchFolder) = Locate();
        if (bridgeFolder is null) return null; // TorchSharp reports what is missing
        string? systemLibStdCxx = LibStdCxxVersionNeeds.FindSystemLibStdCxx();
        byte[] bridge = File.ReadAllBytes(Path.Combine(bridgeFolder, Bridge));
        List<string> missing = systemLibStdCxx is null ? [] : LibStdCxxVersionNeeds.Weaken(bridge, LibStdCxxVersionNeeds.DefinedVersions(File.ReadAllBytes(systemLibStdCxx)));
        bool separated = libtorchFolder is not null && libtorchFolder != bridgeFolder;
        // .NET finds a native library by itself only in the application's native search folders and beside the assembly
        // (a child process started by ChildProcess has no such folders for TorchSharp's runtimes/<rid>/native).
        bool foundByDotnet = bridgeFolder == torchSharpFolder || NativeSearchDirectories().Contains(bridgeFolder);
        if (missing.Count == 0 && !separated && foundByDotnet) return null;
        if (libtorchFolder is null)
            return $"{Bridge} in {bridgeFolder} has no libtorch beside it and no libtorch-cpu-linux-x64 package was found.";

        string bridgePath = Path.Combine(bridgeFolder, Bridge);
        if (missing.Count > 0)
        {
            // The weakened copy, in a folder named by its content hash: another TorchSharp version gets its own.
            bridgePath = Path.Combine(UserCache.Folder, "native", Convert.ToHexStringLower(SHA256.HashData(bridge))[..16], Bridge);
            if (!File.Exists(bridgePath)) // written atomically: present means complete
                AtomicFile.Write(bridgePath, stream => stream.Write(bridge));
        }
        foreach (string dependency in LoadOrder(libtorchFolder)) NativeLibrary.Load(dependency);
        NativeLibrary.Load(bridgePath);
        return $"Loaded libtorch from {libtorchFolder} and {bridgePath}" +
               (missing.Count > 0 ? $" (a copy with {string.Join(", ", missing)} marked weak: this system's libstdc++ lacks it)." : ".");
    }

    static IEnumerable<string> NativeSearchDirectories() =>
        AppContext.GetData("NATIVE_DLL_SEARCH_DIRECTORIES") is string directories
            ? directories.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).Select(folder => Path.GetFullPath(folder).TrimEnd(Path.DirectorySeparatorChar))
            : [];

    /// <summary>Where .NET looks for TorchSharp's native libraries: the application's native search folders, then TorchSharp's own folder and its package layout.</summary>
    static IEnumerable<string> SearchFolders(string torchSharpFolder)
    {
        foreach (string folder in NativeSearchDirectories()) yield return folder;
        yield return torchSharpFolder;
        yield return Path.Combine(torchSharpFolder, "runtimes", "linux-x64", "native");
        // NuGet layout: <packages>/torchsharp/<version>/lib/<tfm>/TorchSharp.dll and .../runtimes/linux-x64/native/.
        yield return Path.GetFullPath(Path.Combine(torchSharpFolder, "..", "..", "runtimes", "linux-x64", "native"));
    }

    /// <summary>The libtorch-cpu-linux-x64 package this library was built against, in the NuGet packages folder TorchSharp came from or the user's.</summary>
    static IEnumerable<string> LibTorchPackageFolders(string torchSharpFolder)
    {
        string? version = typeof(TorchNativeLibraries).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(attribute => attribute.Key == "LibTorchVersion")?.Value;
        if (version is null) yield break;
        var roots = new List<string> { Path.GetFullPath(Path.Combine(torchSharpFolder, "..", "..", "..", "..")) };
        if (Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } configured) roots.Add(configured);
        roots.Add(Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages"));
        foreach (string root in roots)
            yield return Path.Combine(root, "libtorch-cpu-linux-x64", version, "runtimes", "linux-x64", "native");
    }

    /// <summary>libtorch's libraries in dependency order, by full path, so that each one's needs are already loaded.</summary>
    static IEnumerable<string> LoadOrder(string folder)
    {
        foreach (string gomp in Directory.GetFiles(folder, "libgomp*.so*")) yield return gomp;
        foreach (string name in new[] { "libc10.so", "libtorch_cpu.so", "libtorch.so" })
        {
            string path = Path.Combine(folder, name);
            if (File.Exists(path)) yield return path;
        }
    }
}
