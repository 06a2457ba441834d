using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

/// <summary>
/// Marks as weak (VER_FLG_WEAK) every GLIBCXX version need, recorded in the ELF
/// .gnu.version_r section of a native library in <see cref="Directory"/>, that the system's
/// libstdc++.so.6 does not define. The glibc loader then accepts the library; only calling a
/// symbol of that version would fail. Files are rewritten through a temporary copy, so a hard
/// link into the NuGet cache is never modified.
/// </summary>
public class WeakenMissingLibStdCxxVersions : Task
{
    const uint ShtGnuVerneed = 0x6ffffffe;
    const ushort VerFlagWeak = 0x2;

    [Required]
    public string Directory { get; set; } = "";

    public override bool Execute()
    {
        string systemLib = FindSystemLibStdCxx();
        if (systemLib == null)
        {
            Log.LogMessage(MessageImportance.Low, "No system libstdc++.so.6 found; nothing to patch.");
            return true;
        }
        byte[] systemBytes = File.ReadAllBytes(systemLib);
        if (!System.IO.Directory.Exists(Directory)) return true;
        foreach (string path in System.IO.Directory.GetFiles(Directory, "*.so*"))
        {
            try
            {
                PatchFile(path, systemBytes, systemLib);
            }
            catch (Exception e)
            {
                Log.LogWarning("Could not inspect {0} for missing GLIBCXX versions: {1}", path, e.Message);
            }
        }
        return !Log.HasLoggedErrors;
    }

    void PatchFile(string path, byte[] systemBytes, string systemLib)
    {
        byte[] elf = File.ReadAllBytes(path);
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F') return;
        if (elf[4] != 2 || elf[5] != 1) return; // ELF64 little-endian only
        long sectionTable = BitConverter.ToInt64(elf, 0x28);
        int sectionSize = BitConverter.ToUInt16(elf, 0x3A);
        int sectionCount = BitConverter.ToUInt16(elf, 0x3C);
        var weakened = new List<string>();
        for (int i = 0; i < sectionCount; i++)
        {
            long header = sectionTable + (long)i * sectionSize;
            if (BitConverter.ToUInt32(elf, (int)header + 4) != ShtGnuVerneed) continue;
            long offset = BitConverter.ToInt64(elf, (int)header + 0x18);
            int link = (int)BitConverter.ToUInt32(elf, (int)header + 0x28);
            int needCount = (int)BitConverter.ToUInt32(elf, (int)header + 0x2C);
            long strings = BitConverter.ToInt64(elf, (int)(sectionTable + (long)link * sectionSize + 0x18));
            long need = offset;
            for (int n = 0; n < needCount; n++)
            {
                int auxCount = BitConverter.ToUInt16(elf, (int)need + 2);
                string file = ReadString(elf, strings + BitConverter.ToUInt32(elf, (int)need + 4));
                long aux = need + BitConverter.ToUInt32(elf, (int)need + 8);
                for (int a = 0; a < auxCount; a++)
                {
                    string version = ReadString(elf, strings + BitConverter.ToUInt32(elf, (int)aux + 8));
                    ushort flags = BitConverter.ToUInt16(elf, (int)aux + 4);
                    if (file == "libstdc++.so.6" && version.StartsWith("GLIBCXX_", StringComparison.Ordinal)
                        && (flags & VerFlagWeak) == 0 && !Defines(systemBytes, version))
                    {
                        BitConverter.GetBytes((ushort)(flags | VerFlagWeak)).CopyTo(elf, (int)aux + 4);
                        weakened.Add(version);
                    }
                    aux += BitConverter.ToUInt32(elf, (int)aux + 12);
                }
                need += BitConverter.ToUInt32(elf, (int)need + 12);
            }
        }
        if (weakened.Count == 0) return;
        string temporary = path + ".weakening.tmp";
        File.WriteAllBytes(temporary, elf);
        File.Delete(path);
        File.Move(temporary, path);
        Log.LogMessage(MessageImportance.High,
            "Marked {0} weak in {1}: {2} does not define {3}.",
            string.Join(", ", weakened), Path.GetFileName(path), systemLib, weakened.Count == 1 ? "it" : "them");
    }

    static string ReadString(byte[] bytes, long start)
    {
        long end = start;
        while (end < bytes.Length && bytes[end] != 0) end++;
        return Encoding.ASCII.GetString(bytes, (int)start, (int)(end - start));
    }

    static bool Defines(byte[] systemBytes, string version)
    {
        byte[] needle = Encoding.ASCII.GetBytes(version + "\0");
        for (int start = 0; start <= systemBytes.Length - needle.Length; start++)
        {
            int matched = 0;
            while (matched < needle.Length && systemBytes[start + matched] == needle[matched]) matched++;
            if (matched == needle.Length) return true;
        }
        return false;
    }

    static string FindSystemLibStdCxx()
    {
        string[] folders =
        {
            "/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu",
            "/lib/aarch64-linux-gnu", "/usr/lib64", "/lib64", "/usr/lib", "/lib",
        };
        foreach (string folder in folders)
        {
            string candidate = Path.Combine(folder, "libstdc++.so.6");
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }
}
