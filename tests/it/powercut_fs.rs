//! A FUSE filesystem that can lose power, for the power-loss tests.
//!
//! A SIGKILL cannot test a missing fsync: what a killed process wrote stays in the
//! kernel's page cache and reaches the disk anyway. A power cut loses it. This
//! filesystem keeps every file in memory twice: the content processes see, and the
//! content that an `fsync`/`fdatasync` has made durable. [`PowerCutFs::power_cut`]
//! throws away everything written since each file's last sync, like a machine losing
//! power, optionally keeping a random prefix of what was appended past the durable end
//! (a disk that got part of the page cache out before the cut: torn tails).
//!
//! Model and its limits (written down because a test is only as strict as its model):
//! - File data is durable only after an fsync of that file (what POSIX promises).
//! - Names are durable at once: create, rename and unlink survive the cut even without
//!   an fsync of the directory. Real filesystems (ext4, xfs) journal them in order and
//!   usually keep them, so this is the lenient side; a lost rename is not tested.
//! - A created file that was never synced survives the cut empty.
//!
//! The filesystem lives in the test process (one FUSE thread); the node under test is a
//! separate process with its data directory on the mount. A cut is: kill the node,
//! unmount (which also drops the kernel's page cache of the mount), [`power_cut`], and
//! mount again.
//!
//! [`power_cut`]: PowerCutFs::power_cut

use std::collections::{BTreeMap, HashMap};
use std::ffi::{OsStr, OsString};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use fuser::{
    BackgroundSession, Config, Errno, FileAttr, FileHandle, FileType, Filesystem, FopenFlags,
    Generation, INodeNo, LockOwner, MountOption, OpenFlags, RenameFlags, ReplyAttr, ReplyCreate,
    ReplyData, ReplyDirectory, ReplyEmpty, ReplyEntry, ReplyOpen, ReplyStatfs, ReplyWrite, Request,
    TimeOrNow, WriteFlags,
};
use rand::Rng;

/// Attributes and entries are never cached by the kernel: sizes change under it.
const NO_CACHE: Duration = Duration::ZERO;
const BLOCK: u32 = 4096;

/// One file's two contents.
#[derive(Default)]
struct FileData {
    /// What readers see.
    current: Vec<u8>,
    /// What survives a power cut.
    durable: Vec<u8>,
    /// Lowest offset changed since the last sync (`None` when clean): a sync copies
    /// only from there, so syncing an appended commit log costs the appended bytes.
    dirty_from: Option<usize>,
}

impl FileData {
    fn touch(&mut self, from: usize) {
        self.dirty_from = Some(self.dirty_from.map_or(from, |d| d.min(from)));
    }

    fn sync(&mut self) {
        if let Some(from) = self.dirty_from.take() {
            let from = from.min(self.current.len());
            self.durable.resize(self.current.len(), 0);
            self.durable[from..].copy_from_slice(&self.current[from..]);
        }
    }
}

enum Kind {
    Dir(BTreeMap<OsString, u64>),
    File(FileData),
}

struct Inode {
    kind: Kind,
    parent: u64,
    mode: u16,
    mtime: SystemTime,
}

/// What a power cut threw away.
#[derive(Debug, Default, Clone, Copy)]
pub struct CutReport {
    /// Files that had unsynced changes.
    pub files: usize,
    /// Bytes of unsynced content that were lost.
    pub bytes_lost: u64,
    /// Bytes past a durable end that were kept (torn tails).
    pub bytes_kept: u64,
}

struct Tree {
    nodes: HashMap<u64, Inode>,
    next_ino: u64,
}

/// The shared state of the filesystem; survives unmounting, so it can be mounted again
/// after a cut.
#[derive(Clone)]
pub struct PowerCutFs {
    tree: Arc<Mutex<Tree>>,
    /// How long an fsync takes, as on a real disk: writes that arrive meanwhile are
    /// not covered by it, so a kill at a random moment usually finds unsynced bytes.
    fsync_latency: Duration,
}

impl Default for PowerCutFs {
    fn default() -> Self {
        let root = Inode {
            kind: Kind::Dir(BTreeMap::new()),
            parent: INodeNo::ROOT.0,
            mode: 0o755,
            mtime: SystemTime::now(),
        };
        let tree = Tree {
            nodes: HashMap::from([(INodeNo::ROOT.0, root)]),
            next_ino: INodeNo::ROOT.0 + 1,
        };
        PowerCutFs {
            tree: Arc::new(Mutex::new(tree)),
            fsync_latency: Duration::from_millis(2),
        }
    }
}

/// True when this machine can mount FUSE filesystems at all (a `/dev/fuse` and the
/// right to mount: root, or a container with the capability). Says why when not.
pub fn fuse_available() -> bool {
    if !Path::new("/dev/fuse").exists() {
        eprintln!("no /dev/fuse on this machine");
        return false;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    match fuser::spawn_mount(PowerCutFs::default(), dir.path(), &Config::default()) {
        Ok(session) => session.umount_and_join().is_ok(),
        Err(e) => {
            eprintln!("cannot mount a FUSE filesystem here: {e}");
            false
        }
    }
}

impl PowerCutFs {
    /// Mounts the filesystem at `at` (an existing empty directory) on a background
    /// thread; dropping the session unmounts it.
    pub fn mount(&self, at: &Path) -> BackgroundSession {
        let mut config = Config::default();
        // Several threads: writes go on while an fsync waits out its latency.
        config.n_threads = Some(4);
        config.mount_options = vec![
            MountOption::FSName("helenus-powercut".into()),
            MountOption::DefaultPermissions,
        ];
        fuser::spawn_mount(self.clone(), at, &config)
            .unwrap_or_else(|e| panic!("mount the power-cut filesystem at {}: {e}", at.display()))
    }

    /// Loses every change not synced, as a power failure does. With `torn`, each file
    /// that grew past its durable end keeps a random prefix of the growth instead of
    /// none of it. Call only while unmounted.
    pub fn power_cut(&self, rng: &mut impl Rng, torn: bool) -> CutReport {
        let mut tree = self.lock();
        let mut report = CutReport::default();
        for node in tree.nodes.values_mut() {
            let Kind::File(f) = &mut node.kind else {
                continue;
            };
            let Some(from) = f.dirty_from.take() else {
                continue;
            };
            report.files += 1;
            let durable_len = f.durable.len();
            let mut kept = 0;
            // Only bytes appended past the durable end can survive as a torn tail:
            // an overwrite of synced bytes is simply lost.
            if torn && f.current.len() > durable_len && from >= durable_len {
                kept = rng.gen_range(0..=f.current.len() - durable_len);
                f.durable
                    .extend_from_slice(&f.current[durable_len..durable_len + kept]);
            }
            report.bytes_kept += kept as u64;
            report.bytes_lost +=
                (f.current.len().max(durable_len) - from.min(durable_len) - kept) as u64;
            f.current = f.durable.clone();
        }
        report
    }

    fn lock(&self) -> MutexGuard<'_, Tree> {
        self.tree.lock().expect("power-cut fs lock")
    }
}

impl Tree {
    fn attr(&self, ino: u64) -> Option<FileAttr> {
        let node = self.nodes.get(&ino)?;
        let (kind, size, nlink) = match &node.kind {
            Kind::Dir(_) => (FileType::Directory, 0, 2),
            Kind::File(f) => (FileType::RegularFile, f.current.len() as u64, 1),
        };
        Some(FileAttr {
            ino: INodeNo(ino),
            size,
            blocks: size.div_ceil(512),
            atime: node.mtime,
            mtime: node.mtime,
            ctime: node.mtime,
            crtime: node.mtime,
            kind,
            perm: node.mode,
            nlink,
            // The node under test runs as the test's user.
            // SAFETY: getuid/getgid cannot fail and touch no memory.
            uid: unsafe { libc::getuid() },
            gid: unsafe { libc::getgid() },
            rdev: 0,
            blksize: BLOCK,
            flags: 0,
        })
    }

    fn children(&mut self, dir: u64) -> Result<&mut BTreeMap<OsString, u64>, Errno> {
        match self.nodes.get_mut(&dir).map(|n| &mut n.kind) {
            Some(Kind::Dir(children)) => Ok(children),
            Some(Kind::File(_)) => Err(Errno::ENOTDIR),
            None => Err(Errno::ENOENT),
        }
    }

    fn child(&mut self, dir: u64, name: &OsStr) -> Result<u64, Errno> {
        self.children(dir)?.get(name).copied().ok_or(Errno::ENOENT)
    }

    fn file(&mut self, ino: u64) -> Result<&mut FileData, Errno> {
        match self.nodes.get_mut(&ino).map(|n| &mut n.kind) {
            Some(Kind::File(f)) => Ok(f),
            Some(Kind::Dir(_)) => Err(Errno::EISDIR),
            None => Err(Errno::ENOENT),
        }
    }

    fn add(&mut self, parent: u64, name: &OsStr, kind: Kind, mode: u32) -> Result<u64, Errno> {
        if self.children(parent)?.contains_key(name) {
            return Err(Errno::EEXIST);
        }
        let ino = self.next_ino;
        self.next_ino += 1;
        self.children(parent)?.insert(name.to_owned(), ino);
        self.nodes.insert(
            ino,
            Inode {
                kind,
                parent,
                mode: (mode & 0o7777) as u16,
                mtime: SystemTime::now(),
            },
        );
        Ok(ino)
    }

    /// Unlinks `name` from `parent`. The inode's data is dropped at once: the node
    /// under test never reads a file it deleted (readers hold mmaps, which the kernel
    /// keeps filled), and a test's memory stays bounded.
    fn remove(&mut self, parent: u64, name: &OsStr, want_dir: bool) -> Result<(), Errno> {
        let ino = self.child(parent, name)?;
        match &self.nodes[&ino].kind {
            Kind::Dir(_) if !want_dir => return Err(Errno::EISDIR),
            Kind::Dir(c) if !c.is_empty() => return Err(Errno::ENOTEMPTY),
            Kind::File(_) if want_dir => return Err(Errno::ENOTDIR),
            _ => {}
        }
        self.children(parent)?.remove(name);
        self.nodes.remove(&ino);
        Ok(())
    }
}

fn reply_attr(tree: &Tree, ino: u64, reply: ReplyAttr) {
    match tree.attr(ino) {
        Some(a) => reply.attr(&NO_CACHE, &a),
        None => reply.error(Errno::ENOENT),
    }
}

fn reply_entry(tree: &Tree, ino: Result<u64, Errno>, reply: ReplyEntry) {
    match ino.map(|i| tree.attr(i)) {
        Ok(Some(a)) => reply.entry(&NO_CACHE, &a, Generation(0)),
        Ok(None) => reply.error(Errno::ENOENT),
        Err(e) => reply.error(e),
    }
}

fn reply_empty(result: Result<(), Errno>, reply: ReplyEmpty) {
    match result {
        Ok(()) => reply.ok(),
        Err(e) => reply.error(e),
    }
}

impl Filesystem for PowerCutFs {
    fn lookup(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEntry) {
        let mut tree = self.lock();
        let ino = tree.child(parent.0, name);
        reply_entry(&tree, ino, reply);
    }

    fn getattr(&self, _req: &Request, ino: INodeNo, _fh: Option<FileHandle>, reply: ReplyAttr) {
        reply_attr(&self.lock(), ino.0, reply);
    }

    fn setattr(
        &self,
        _req: &Request,
        ino: INodeNo,
        mode: Option<u32>,
        _uid: Option<u32>,
        _gid: Option<u32>,
        size: Option<u64>,
        _atime: Option<TimeOrNow>,
        _mtime: Option<TimeOrNow>,
        _ctime: Option<SystemTime>,
        _fh: Option<FileHandle>,
        _crtime: Option<SystemTime>,
        _chgtime: Option<SystemTime>,
        _bkuptime: Option<SystemTime>,
        _flags: Option<fuser::BsdFileFlags>,
        reply: ReplyAttr,
    ) {
        let mut tree = self.lock();
        if let Some(size) = size {
            match tree.file(ino.0) {
                Ok(f) => {
                    let size = size as usize;
                    f.touch(size.min(f.current.len()));
                    f.current.resize(size, 0);
                }
                Err(e) => return reply.error(e),
            }
        }
        if let Some(node) = tree.nodes.get_mut(&ino.0) {
            if let Some(mode) = mode {
                node.mode = (mode & 0o7777) as u16;
            }
            node.mtime = SystemTime::now();
        }
        reply_attr(&tree, ino.0, reply);
    }

    fn mkdir(
        &self,
        _req: &Request,
        parent: INodeNo,
        name: &OsStr,
        mode: u32,
        _umask: u32,
        reply: ReplyEntry,
    ) {
        let mut tree = self.lock();
        let ino = tree.add(parent.0, name, Kind::Dir(BTreeMap::new()), mode);
        reply_entry(&tree, ino, reply);
    }

    fn unlink(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEmpty) {
        reply_empty(self.lock().remove(parent.0, name, false), reply);
    }

    fn rmdir(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEmpty) {
        reply_empty(self.lock().remove(parent.0, name, true), reply);
    }

    fn rename(
        &self,
        _req: &Request,
        parent: INodeNo,
        name: &OsStr,
        newparent: INodeNo,
        newname: &OsStr,
        flags: RenameFlags,
        reply: ReplyEmpty,
    ) {
        let mut tree = self.lock();
        let result = (|| {
            let ino = tree.child(parent.0, name)?;
            if tree.children(newparent.0)?.contains_key(newname) {
                if flags.contains(RenameFlags::RENAME_NOREPLACE) {
                    return Err(Errno::EEXIST);
                }
                let is_dir = matches!(tree.nodes[&ino].kind, Kind::Dir(_));
                tree.remove(newparent.0, newname, is_dir)?;
            }
            tree.children(parent.0)?.remove(name);
            tree.children(newparent.0)?.insert(newname.to_owned(), ino);
            if let Some(node) = tree.nodes.get_mut(&ino) {
                node.parent = newparent.0;
            }
            Ok(())
        })();
        reply_empty(result, reply);
    }

    fn open(&self, _req: &Request, ino: INodeNo, flags: OpenFlags, reply: ReplyOpen) {
        let mut tree = self.lock();
        match tree.file(ino.0) {
            Ok(f) => {
                if flags.0 & libc::O_TRUNC != 0 {
                    f.touch(0);
                    f.current.clear();
                }
                reply.opened(FileHandle(0), FopenFlags::empty());
            }
            Err(e) => reply.error(e),
        }
    }

    fn create(
        &self,
        _req: &Request,
        parent: INodeNo,
        name: &OsStr,
        mode: u32,
        _umask: u32,
        flags: i32,
        reply: ReplyCreate,
    ) {
        let mut tree = self.lock();
        let ino = match tree.child(parent.0, name) {
            // O_CREAT without O_EXCL on an existing file opens it.
            Ok(ino) if flags & libc::O_EXCL == 0 => {
                if flags & libc::O_TRUNC != 0 {
                    if let Ok(f) = tree.file(ino) {
                        f.touch(0);
                        f.current.clear();
                    }
                }
                Ok(ino)
            }
            Ok(_) => Err(Errno::EEXIST),
            Err(_) => tree.add(parent.0, name, Kind::File(FileData::default()), mode),
        };
        match ino.map(|i| tree.attr(i)) {
            Ok(Some(a)) => reply.created(
                &NO_CACHE,
                &a,
                Generation(0),
                FileHandle(0),
                FopenFlags::empty(),
            ),
            Ok(None) => reply.error(Errno::ENOENT),
            Err(e) => reply.error(e),
        }
    }

    fn read(
        &self,
        _req: &Request,
        ino: INodeNo,
        _fh: FileHandle,
        offset: u64,
        size: u32,
        _flags: OpenFlags,
        _lock_owner: Option<LockOwner>,
        reply: ReplyData,
    ) {
        let mut tree = self.lock();
        match tree.file(ino.0) {
            Ok(f) => {
                let start = (offset as usize).min(f.current.len());
                let end = (start + size as usize).min(f.current.len());
                reply.data(&f.current[start..end]);
            }
            Err(e) => reply.error(e),
        }
    }

    fn write(
        &self,
        _req: &Request,
        ino: INodeNo,
        _fh: FileHandle,
        offset: u64,
        data: &[u8],
        _write_flags: WriteFlags,
        _flags: OpenFlags,
        _lock_owner: Option<LockOwner>,
        reply: ReplyWrite,
    ) {
        let mut tree = self.lock();
        match tree.file(ino.0) {
            Ok(f) => {
                let start = offset as usize;
                let end = start + data.len();
                if f.current.len() < end {
                    f.current.resize(end, 0);
                }
                f.current[start..end].copy_from_slice(data);
                f.touch(start);
                reply.written(data.len() as u32);
            }
            Err(e) => reply.error(e),
        }
    }

    fn flush(
        &self,
        _req: &Request,
        _ino: INodeNo,
        _fh: FileHandle,
        _lo: LockOwner,
        reply: ReplyEmpty,
    ) {
        // close() is not a sync.
        reply.ok();
    }

    fn fsync(
        &self,
        _req: &Request,
        ino: INodeNo,
        _fh: FileHandle,
        _datasync: bool,
        reply: ReplyEmpty,
    ) {
        // What was written before the call becomes durable; the lock is released for
        // the latency so that later writes land unsynced, as they would on a disk.
        let result = self.lock().file(ino.0).map(FileData::sync);
        std::thread::sleep(self.fsync_latency);
        reply_empty(result, reply);
    }

    fn fallocate(
        &self,
        _req: &Request,
        ino: INodeNo,
        _fh: FileHandle,
        offset: u64,
        length: u64,
        mode: i32,
        reply: ReplyEmpty,
    ) {
        if mode != 0 {
            return reply.error(Errno::EOPNOTSUPP);
        }
        let mut tree = self.lock();
        let result = tree.file(ino.0).map(|f| {
            let end = (offset + length) as usize;
            if f.current.len() < end {
                f.touch(f.current.len());
                f.current.resize(end, 0);
            }
        });
        reply_empty(result, reply);
    }

    fn readdir(
        &self,
        _req: &Request,
        ino: INodeNo,
        _fh: FileHandle,
        offset: u64,
        mut reply: ReplyDirectory,
    ) {
        let mut tree = self.lock();
        let parent = tree.nodes.get(&ino.0).map_or(ino.0, |n| n.parent);
        let children: Vec<(OsString, u64)> = match tree.children(ino.0) {
            Ok(c) => c.iter().map(|(n, i)| (n.clone(), *i)).collect(),
            Err(e) => return reply.error(e),
        };
        let mut entries = vec![
            (ino.0, FileType::Directory, OsString::from(".")),
            (parent, FileType::Directory, OsString::from("..")),
        ];
        for (name, child) in children {
            let kind = match tree.nodes[&child].kind {
                Kind::Dir(_) => FileType::Directory,
                Kind::File(_) => FileType::RegularFile,
            };
            entries.push((child, kind, name));
        }
        for (i, (child, kind, name)) in entries.into_iter().enumerate().skip(offset as usize) {
            if reply.add(INodeNo(child), (i + 1) as u64, kind, name) {
                break;
            }
        }
        reply.ok();
    }

    fn fsyncdir(
        &self,
        _req: &Request,
        _ino: INodeNo,
        _fh: FileHandle,
        _ds: bool,
        reply: ReplyEmpty,
    ) {
        // Names are durable at once in this model (see the module doc).
        reply.ok();
    }

    fn statfs(&self, _req: &Request, _ino: INodeNo, reply: ReplyStatfs) {
        // Plenty of room: the node checks free space before flushing.
        let blocks = 64 * 1024 * 1024 * 1024 / u64::from(BLOCK);
        reply.statfs(blocks, blocks, blocks, 1 << 20, 1 << 20, BLOCK, 255, BLOCK);
    }

    fn access(&self, _req: &Request, _ino: INodeNo, _mask: fuser::AccessFlags, reply: ReplyEmpty) {
        reply.ok();
    }
}
