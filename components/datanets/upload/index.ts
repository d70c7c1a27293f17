// The Datanet uploader, shared by the creation wizard and the Datanet page.
export { DatanetUploader } from "./datanet-uploader";
